"""Lab checks: `checks.yaml` per lab (spec), run in the sandbox (evaluate), reported (report)."""

from tutor.checks.spec import CHECKS_FILE, ChecksFile, load_checks

__all__ = ["CHECKS_FILE", "ChecksFile", "load_checks"]
