"""The Textual terminal app. Module-level imports stay light so the first paint is fast."""
