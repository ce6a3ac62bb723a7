"""Sandboxed lab runner. Imports nothing from tutor/: it can be deployed alone on a GPU host.

    from sandbox import run, Limits
    record = run("labs/lesson_01", ["python", "starter.py", "--smoke"], Limits(timeout_s=60))
    record.reason, record.metrics, record.run_dir
"""

from sandbox.limits import Limits
from sandbox.record import REASONS, SCHEMA_VERSION, RunRecord
from sandbox.runner import BACKENDS, SandboxError, run

__all__ = ["run", "Limits", "RunRecord", "SandboxError", "BACKENDS", "REASONS", "SCHEMA_VERSION"]
