"""The runner started by a normal user: bubblewrap in a user namespace, no setpriv, no cgroups.

This host runs the suite as root, so the test drops to `nobody` and drives the sandbox
package (standard library only) with the system Python.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"
NOBODY = 65534

DRIVER = """
import json, sys
import sandbox
lab, code = sys.argv[1], sys.argv[2]
limits = sandbox.Limits(timeout_s=3, max_procs=24, memory_mb=512)
record = sandbox.run(lab, ["python", "main.py"], limits, backend="bubblewrap")
print(json.dumps(record.to_dict()))
"""


@pytest.fixture
def nobody_lab():
    if os.geteuid() != 0 or not shutil.which("setpriv") or not os.path.exists(SYSTEM_PYTHON):
        pytest.skip("needs root (to become nobody), setpriv and a system Python")
    if not os.path.exists("/usr/bin/bwrap"):
        pytest.skip("needs bubblewrap at /usr/bin/bwrap (`apt-get install bubblewrap`; .ci/run installs it)")
    root = Path(tempfile.mkdtemp(prefix="sandbox-nobody-"))
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _run_as_nobody(root: Path, code: str) -> dict:
    lab = root / "lab"
    lab.mkdir()
    (lab / "main.py").write_text(textwrap.dedent(code))
    for path in [root, lab, lab / "main.py"]:
        os.chown(path, NOBODY, NOBODY)
    done = subprocess.run(
        ["setpriv", "--reuid", str(NOBODY), "--regid", str(NOBODY), "--clear-groups",
         SYSTEM_PYTHON, "-c", DRIVER, str(lab), code],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO), "HOME": str(root), "SANDBOX_BWRAP": "/usr/bin/bwrap"},
        capture_output=True, text=True, timeout=60, cwd=root)
    if "cannot create namespaces" in done.stderr or "Operation not permitted" in done.stderr:
        pytest.skip(f"user namespaces unavailable to nobody here: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_normal_user_gets_the_user_namespace_sandbox(nobody_lab):
    record = _run_as_nobody(nobody_lab, "import os\nprint(os.getuid(), os.listdir('/'))\n")
    assert record["reason"] == "ok", record["detail"]
    assert record["isolation"]["user"] == "user namespace"
    assert record["mechanisms"]["processes"].startswith("RLIMIT_NPROC")
    assert str(NOBODY) in Path(record["logs"]["stdout"]).read_text()


def test_a_normal_users_fork_bomb_is_contained(nobody_lab):
    before = _nobody_pids()
    record = _run_as_nobody(nobody_lab, """
        import os, sys, time
        while True:
            try:
                os.fork()
            except OSError:
                time.sleep(0.05)
    """)
    assert record["reason"] == "timeout"
    deadline = time.monotonic() + 3.0
    while _nobody_pids() - before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _nobody_pids() - before == set()


def _nobody_pids() -> set[int]:
    found = set()
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and entry.stat().st_uid == NOBODY:
                found.add(int(entry.name))
        except OSError:
            continue
    return found
