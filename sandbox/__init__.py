"""Sandboxed lab runner (imports nothing from tutor/)."""
