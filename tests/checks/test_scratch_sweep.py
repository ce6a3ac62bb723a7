"""A SIGKILLed check leaves its tutor-check-* staging folder; the next check removes it, never a
live check's (the sandbox's own abandoned-folder rule, sandbox/locked_dirs.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from sandbox import locked_dirs, proctree
from tests.checks.conftest import requires_bwrap
from tutor.checks.evaluate import SCRATCH_PREFIX, evaluate
from tutor.checks.spec import load_checks

pytestmark = requires_bwrap

REPO = Path(__file__).resolve().parents[2]
SLEEPY = "def add_one(x):\n    import time\n    time.sleep(40)\n    return x + 1\n"
CHECKS = """
timeout_s: 45
todos:
  - name: add_one
    section: "What you implement"
    checks:
      - id: slow
        call: "add_one(1)"
        expect: "2"
        hint: "One more than x."
"""


def _held(scratch: Path, prefix: str) -> set[str]:
    return {p.name for p in scratch.iterdir() if p.name.startswith(prefix) and (p / locked_dirs.LOCK_NAME).exists()}


def _in_sandbox(root: int) -> bool:
    """Whether a Python process under ``root`` runs in another mount namespace: the lab's code,
    inside the sandbox (a bubblewrap run as root keeps no folder on the host to look for)."""
    ours = os.stat("/proc/self/ns/mnt").st_ino
    for pid in proctree.descendants(root, proctree.snapshot()):
        try:
            if (Path(f"/proc/{pid}/comm").read_text().startswith("python")
                    and os.stat(f"/proc/{pid}/ns/mnt").st_ino != ours):
                return True
        except OSError:
            continue
    return False


def _start_check(lab: Path, scratch: Path):
    """A check of a sleeping function in a process of its own, once it is inside the sandbox."""
    before = _held(scratch, SCRATCH_PREFIX)
    code = ("import sys; from pathlib import Path; from tutor.checks.evaluate import evaluate; "
            "from tutor.checks.spec import load_checks; "
            "evaluate(Path(sys.argv[1]), load_checks(Path(sys.argv[1]))[0], code=sys.argv[2])")
    proc = subprocess.Popen([sys.executable, "-c", code, str(lab), SLEEPY], cwd=REPO,
                            env={**{k: v for k, v in os.environ.items() if k != "SANDBOX_SCRATCH"},
                                 "TMPDIR": str(scratch), "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not _in_sandbox(proc.pid):
        assert proc.poll() is None, "the check ended before it reached the sandbox"
        time.sleep(0.05)
    new = _held(scratch, SCRATCH_PREFIX) - before
    assert len(new) == 1 and _in_sandbox(proc.pid), "the check never reached the sandbox"
    time.sleep(0.5)   # the sleeping function is running now
    return proc, new.pop()


@pytest.fixture
def scratch(monkeypatch):
    """The parent of every scratch folder for the test (tempfile's, in here and in the checks)."""
    folder = Path(tempfile.mkdtemp(prefix="tutor-test-scratch-"))
    folder.chmod(0o755)   # the sandbox's scratch folders go here too: the lab's uid passes through
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_sigkilled_checks_folder_is_removed_by_the_next_check_and_a_live_ones_is_not(tiny_lab, tiny_checks,
                                                                                      scratch, monkeypatch):
    monkeypatch.setattr(locked_dirs, "_next_sweep", {})
    slow_lab = tiny_lab.parent / "lesson_02"
    slow_lab.mkdir()
    (slow_lab / "starter.py").write_text((tiny_lab / "starter.py").read_text())
    (slow_lab / "checks.yaml").write_text(CHECKS)
    assert load_checks(slow_lab)[0] is not None
    live, live_folder = _start_check(slow_lab, scratch)
    try:
        killed, killed_folder = _start_check(slow_lab, scratch)
        os.kill(killed.pid, signal.SIGKILL)   # mid-check: the function sleeps in the sandbox
        killed.wait()
        assert (scratch / killed_folder).is_dir()   # a SIGKILLed check cleans nothing up
        evaluation = evaluate(tiny_lab, tiny_checks)
        assert evaluation.sandbox["reason"] == "ok", evaluation.sandbox
        assert not (scratch / killed_folder).exists()
        assert (scratch / live_folder).is_dir() and live.poll() is None
    finally:
        os.kill(live.pid, signal.SIGKILL)
        live.wait()
    assert locked_dirs.sweep_abandoned(scratch, SCRATCH_PREFIX) == [live_folder]   # abandoned now, and only now
    locked_dirs.sweep_abandoned(scratch, "tutor-sandbox-", mounts=("", "lab"))
    assert list(scratch.iterdir()) == []   # nothing else was left: the killed checks' sandbox folders went too
