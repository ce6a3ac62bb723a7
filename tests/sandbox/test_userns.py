"""A root runner's sandboxes: bwrap switches to the run's uid in the runner's user namespace
(sandbox/userns.py), and a helper kills them should the runner die (sandbox/reaper.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox import Limits, run, userns
from tests.sandbox.conftest import requires_bwrap

ROOT = Path(__file__).resolve().parents[2]
requires_root = pytest.mark.skipif(os.geteuid() != 0, reason="the runner's user namespace is made by root only")

PROBE = """
import json, os
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
def is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
print(json.dumps({
    "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(),
    "caps": {k: status[k].strip() for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")},
    "no_new_privs": status["NoNewPrivs"].strip(),
    "fds": [fd for fd in range(3, 1024) if is_open(fd)],
    "usr_owner": os.stat("/usr").st_uid,
    "uid_map": open("/proc/self/uid_map").read().split(),
}))
"""


def _probe(make_lab, **kwargs) -> tuple[dict, object]:
    lab = make_lab(PROBE)
    record = run(lab, ["python", "main.py"], Limits(timeout_s=30), backend="bubblewrap", **kwargs)
    assert record.reason == "ok", record.detail
    return json.loads(Path(record.logs["stdout"]).read_text()), record


@requires_bwrap
@requires_root
@pytest.mark.parametrize("in_place", [False, True], ids=["copy", "in-place"])
def test_the_lab_runs_as_its_uid_with_no_capability_no_descriptor_and_host_root_unmapped(make_lab, in_place):
    if userns.path() is None:
        pytest.skip(f"no user namespace here: {userns.problem()}")
    seen, record = _probe(make_lab, in_place=in_place)
    assert seen["uid"] >= userns.RUN_UID_BASE
    assert seen["gid"] == seen["uid"] and seen["groups"] in ([], [seen["uid"]])
    assert all(int(value, 16) == 0 for value in seen["caps"].values()), seen["caps"]   # bounding set too
    assert seen["no_new_privs"] == "1"
    assert seen["fds"] == []          # not the namespace bwrap was handed, nor any pipe of the runner
    assert seen["usr_owner"] == userns.HOST_ROOT_INSIDE   # host root is nobody in here
    rows = [seen["uid_map"][i:i + 3] for i in range(0, len(seen["uid_map"]), 3)]
    assert ["0", "0", "1"] not in rows and not any(row[0] == "0" for row in rows)
    assert "user namespace" in record.isolation["user"]


@requires_bwrap
@requires_root
def test_without_the_namespace_the_run_drops_root_with_setpriv(tmp_path):
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "main.py").write_text(PROBE)
    code = ("import json, sys; from sandbox import Limits, run; "
            "r = run(sys.argv[1], ['python', 'main.py'], Limits(timeout_s=30), backend='bubblewrap', runs_dir=sys.argv[2]); "
            "print(json.dumps({'reason': r.reason, 'user': r.isolation.get('user'), 'out': open(r.logs['stdout']).read()}))")
    done = subprocess.run([sys.executable, "-c", code, str(lab), str(tmp_path / "runs")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "SANDBOX_NO_USERNS": "1"})
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["reason"] == "ok" and "setpriv" in result["user"], result
    seen = json.loads(result["out"])
    assert seen["uid"] >= userns.RUN_UID_BASE and seen["fds"] == []
    assert all(int(seen["caps"][k], 16) == 0 for k in ("CapInh", "CapPrm", "CapEff", "CapAmb"))
    assert seen["usr_owner"] == 0     # no namespace: host root is root


def test_a_watched_process_dies_with_its_runner_and_not_before(tmp_path):
    victim = subprocess.Popen(["sleep", "60"])
    code = ("import sys, time; from sandbox import reaper; reaper.watch(int(sys.argv[1])); "
            "print('watching', flush=True); time.sleep(60)")
    runner = subprocess.Popen([sys.executable, "-c", code, str(victim.pid)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert runner.stdout.readline().strip() == "watching"
        time.sleep(0.3)
        assert victim.poll() is None, "the reaper killed a process whose runner is alive"
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait()
        victim.wait(timeout=10)
        assert victim.returncode == -signal.SIGKILL
    finally:
        for proc in (victim, runner):
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@requires_bwrap
@requires_root
def test_the_gpu_preflight_runs_in_the_same_sandbox_as_the_lab(make_lab, monkeypatch):
    """The pre-flight starts bwrap without the gates; a shell opens the namespace for it."""
    from sandbox import gpu

    lab = make_lab("print('lab ran')")
    monkeypatch.setattr(gpu, "PREFLIGHT", "import os, sys; sys.exit(0 if os.getuid() >= %d else "
                        "'ran as uid %%d' %% os.getuid())" % userns.RUN_UID_BASE)
    record = run(lab, ["python", "main.py"], Limits(timeout_s=30), gpu=True, backend="bubblewrap")
    assert record.reason == "ok", record.detail
    monkeypatch.setattr(gpu, "PREFLIGHT", "import sys; sys.exit('no CUDA in here')")
    record = run(lab, ["python", "main.py"], Limits(timeout_s=30), gpu=True, backend="bubblewrap")
    assert record.reason == "error" and "no CUDA in here" in record.detail, record.detail


FORKS = """
import os, sys, time
kids = []
try:
    for _ in range(int(sys.argv[1])):
        pid = os.fork()
        if pid == 0:
            time.sleep(3)
            os._exit(0)
        kids.append(pid)
    print("all", len(kids) + 1)
except OSError:
    print("refused at", len(kids) + 2)
for kid in kids:
    os.kill(kid, 9)
"""


@requires_bwrap
@requires_root
@pytest.mark.parametrize("forks, said", [(7, "all 8"), (8, "refused at 9")])
def test_the_process_limit_counts_the_labs_processes_exactly(make_lab, forks, said):
    """max_procs=8: the lab and 7 children run, an 8th child is refused (bwrap's own init, which
    runs as the lab's uid in the runner's namespace, does not take one of them)."""
    lab = make_lab(FORKS)
    record = run(lab, ["python", "main.py", str(forks)], Limits(timeout_s=30, max_procs=8), backend="bubblewrap")
    assert Path(record.logs["stdout"]).read_text().strip() == said, record.detail
