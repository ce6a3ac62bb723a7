"""Issue 13, run-wide memory: each run (its whole process tree) gets a memory cgroup of its own
where the host lets the runner make one; the kernel enforces the limit, the record says so, and
no group is left behind, not even by a runner killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sandbox import Limits, cgroups, run
from sandbox.runner import RUN_MEMORY_WATCHDOG
from tests.sandbox.conftest import assert_no_process_left, requires_bwrap

MEMORY_MODE, NO_MEMORY_CGROUP = cgroups.memory_mode()
needs_memory_cgroup = pytest.mark.skipif(MEMORY_MODE is None,
                                         reason=f"no writable memory cgroup here: {NO_MEMORY_CGROUP}")
BACKENDS = [pytest.param("bubblewrap", marks=requires_bwrap), "process"]

FAN_OUT = """
    import os, sys, time
    for _ in range(int(sys.argv[2])):
        if os.fork() == 0:
            hoard = bytearray(120 * 1024 * 1024)
            for i in range(0, len(hoard), 4096):
                hoard[i] = 1
            time.sleep(30)
            os._exit(0)
    time.sleep(30)
"""


def _memory_parent() -> Path:
    found, why = cgroups._find_controller("memory")
    assert found, why
    return found[0]


def _run_groups(owner: int | None = None) -> set[str]:
    """Run groups under the memory parent, only those of the runner process ``owner`` (this
    test process by default): another tutor or test suite on the machine has groups of its own."""
    mine = f"{cgroups.PREFIX}{cgroups._own_namespace()}.{os.getpid() if owner is None else owner}."
    return {entry.name for entry in os.scandir(_memory_parent()) if entry.name.startswith(mine)}


@needs_memory_cgroup
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_fan_out_under_the_per_process_limit_is_stopped_by_the_run_cgroup(make_lab, marker, backend):
    """Six children of 120 MiB: each far under the 256 MiB per-process limit, together over the
    run's 256 MiB. The kernel (not a sampler) stops it, and the group is gone afterwards."""
    before = _run_groups()
    record = run(make_lab(FAN_OUT), ["python", "main.py", marker, "6"], Limits(memory_mb=256, timeout_s=20),
                 backend=backend)
    assert record.reason == "memory" and record.limit_hit == "memory", (record.detail, record.mechanisms)
    assert "cgroup" in record.mechanisms["memory"] and "whole run" in record.mechanisms["memory"]
    assert "memory cgroup reached its limit" in record.detail
    assert _run_groups() <= before
    assert_no_process_left(marker)


@needs_memory_cgroup
def test_a_fan_out_within_the_run_limit_runs_to_the_end(make_lab, marker):
    lab = make_lab(FAN_OUT.replace("time.sleep(30)\n            os._exit", "os._exit").replace(
        "    time.sleep(30)\n", "    while True:\n        try:\n            os.wait()\n        except ChildProcessError:\n            break\n"))
    record = run(lab, ["python", "main.py", marker, "2"], Limits(memory_mb=512, timeout_s=20), backend="process")
    assert record.reason == "ok" and record.limit_hit is None, record.detail


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_a_writable_memory_cgroup_the_weaker_mode_is_named_with_its_reason(make_lab, marker, monkeypatch,
                                                                                    backend):
    monkeypatch.setattr(cgroups, "_find_controller",
                        lambda controller: (None, f"no {controller} controller (test)"))
    record = run(make_lab(FAN_OUT), ["python", "main.py", marker, "6"], Limits(memory_mb=256, timeout_s=20),
                 backend=backend)
    assert record.mechanisms["memory"] == ("RLIMIT_AS per process + " + RUN_MEMORY_WATCHDOG
                                           + "; no memory cgroup: no memory controller (test)")
    assert record.reason == "memory" and record.limit_hit == "memory", record.detail
    assert_no_process_left(marker)


@needs_memory_cgroup
def test_groups_of_a_sigkilled_runner_are_removed_by_the_next_run(make_lab, marker, tmp_path):
    """SIGKILL the runner mid-run: its group (and anything left in it) goes with the next run."""
    lab = make_lab("import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    script = tmp_path / "runner.py"
    script.write_text(f"from sandbox import Limits, run\nrun({str(lab)!r}, ['python', 'main.py', {marker!r}], "
                      "Limits(timeout_s=60), backend='process')\n")
    runner = subprocess.Popen([sys.executable, str(script)], start_new_session=True,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    left: set[str] = set()
    for _ in range(200):
        left = _run_groups(runner.pid)
        if left and any((_memory_parent() / name / "cgroup.procs").read_text().split() for name in left):
            break
        time.sleep(0.05)
    assert left, "the runner never made its group"
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    assert _run_groups(runner.pid) == left          # the SIGKILLed runner could not clean up
    run(make_lab("print('next')"), ["python", "main.py"], Limits(timeout_s=10), backend="process")
    assert not _run_groups(runner.pid) and not _run_groups()
    assert_no_process_left(marker)


def test_the_child_joins_by_writing_0_to_tasks_on_v1_and_to_cgroup_procs_on_v2(tmp_path):
    """Writing a pid to v1's cgroup.procs takes the kernel's global threadgroup lock (an RCU grace
    period, ~11 ms a run measured); "0" in `tasks` moves the single-threaded caller without it."""
    from sandbox import launch

    paths = {"memory": tmp_path / "memory-v1", "pids": tmp_path / "pids-v2"}
    for path in paths.values():
        path.mkdir(parents=True)
    groups = cgroups.RunCgroups(paths=paths, versions={"memory": "v1", "pids": "v2"})
    gate = launch.gated(["/bin/sh", "-c", "echo ran"], Limits(), False, None)
    child = subprocess.Popen(gate.argv, stdin=gate.stdin, stdout=subprocess.PIPE, text=True)
    gate.started()
    gate.limit(child.pid)
    gate.open_first(groups.join_files())
    gate.release()
    assert child.communicate(timeout=10)[0] == "ran\n"
    assert (paths["memory"] / "tasks").read_text().strip() == "0"
    assert not (paths["memory"] / "cgroup.procs").exists()
    assert (paths["pids"] / "cgroup.procs").read_text().strip() == "0"


def test_the_lab_gets_its_rlimits_before_it_starts_and_never_the_gate(tmp_path):
    """The runner sets the rlimits on the waiting `sh` (no prlimit program, no preexec hook);
    what it execs after the last gate inherits them, and its stdin is /dev/null, not the gate."""
    from sandbox import launch

    probe = ("import os, resource; print(resource.getrlimit(resource.RLIMIT_AS), "
             "resource.getrlimit(resource.RLIMIT_FSIZE), os.readlink('/proc/self/fd/0'))")
    gate = launch.gated([sys.executable, "-c", probe], Limits(memory_mb=300, file_size_mb=7), False, None)
    child = subprocess.Popen(gate.argv, stdin=gate.stdin, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True)
    gate.started()
    gate.limit(child.pid)
    gate.open_first([])
    gate.release()
    out = child.communicate(timeout=10)[0]
    assert out.startswith(f"({300 * 2**20}, {300 * 2**20}) ({7 * 2**20}, {7 * 2**20})"), out
    assert out.strip().endswith("/dev/null"), out


@pytest.mark.parametrize("limited", [False, True])
def test_a_gate_closed_without_go_runs_nothing(tmp_path, limited):
    """A runner that gives up (or dies) before the last gate: the chain exits 125 unrun."""
    from sandbox import launch

    flag = tmp_path / "ran"
    gate = launch.gated(["/bin/sh", "-c", f"touch {flag}"], Limits(), False, None)
    child = subprocess.Popen(gate.argv, stdin=gate.stdin)
    gate.started()
    if limited:
        gate.limit(child.pid)
        gate.open_first([])
    gate.close()
    assert child.wait(timeout=10) == 125 and not flag.exists()


@requires_bwrap
def test_a_sandbox_built_but_never_released_runs_nothing(tmp_path):
    """Past the first gate the chain builds the whole sandbox and says "ready" from inside it;
    a runner that gives up (or dies) then still leaves the lab unrun: the inner gate reads EOF."""
    from sandbox import launch

    flag = tmp_path / "ran"
    from sandbox import host

    argv = [host.bwrap_path(), "--ro-bind", "/", "/", "--bind", str(tmp_path), str(tmp_path), "--",
            "/bin/sh", "-c", f"touch {flag}"]
    gate = launch.gated(argv, Limits(), False, None)
    assert gate.sandboxed
    child = subprocess.Popen(gate.argv, stdin=gate.stdin, stdout=subprocess.PIPE, pass_fds=gate.pass_fds)
    gate.started()
    gate.limit(child.pid)
    gate.open_first([])
    assert child.stdout.readline() == launch.READY          # built, waiting inside
    assert gate.sandbox_pid() > 0
    gate.close()
    assert child.wait(timeout=10) == 125 and not flag.exists()
    child.stdout.close()


@needs_memory_cgroup
def test_what_the_lab_forks_stays_in_the_run_group_joined_through_tasks(make_lab, marker):
    """Only the joining thread moves on v1; the lab's children (forked after exec) follow it."""
    lab = make_lab("import subprocess, sys\nprint(subprocess.run(['cat', '/proc/self/cgroup'], "
                   "capture_output=True, text=True).stdout)\n")
    record = run(lab, ["python", "main.py", marker], Limits(timeout_s=20), backend="process")
    assert record.reason == "ok", record.detail
    memory_line = [line for line in Path(record.logs["stdout"]).read_text().splitlines()
                   if line.split(":")[1:2] == ["memory"]]
    assert memory_line and memory_line[0].endswith(f"-{record.run_id}"), memory_line


@needs_memory_cgroup
@requires_bwrap
def test_a_run_with_its_own_uid_is_found_by_its_memory_cgroup_without_scanning_proc(make_lab, marker, monkeypatch):
    """The run's memory cgroup lists every process of a run with a uid of its own (joined before
    exec; that uid cannot leave): no /proc scan (about 1 ms each) at each sample or in the sweep,
    and a double-forked daemon is still gone at the end."""
    from sandbox import proctree

    if os.geteuid() != 0:
        pytest.skip("a uid of the run's own needs a root runner")
    scans = []
    real_scan = proctree.pids_of_uid
    monkeypatch.setattr(proctree, "pids_of_uid", lambda uid: scans.append(uid) or real_scan(uid))
    lab = make_lab("""
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                time.sleep(30)
            os._exit(0)
        time.sleep(0.3)
    """)
    record = run(lab, ["python", "main.py", marker], Limits(timeout_s=20), backend="bubblewrap")
    assert record.reason == "ok", record.detail
    assert "cgroup" in record.mechanisms["memory"] and "RLIMIT_NPROC on uid" in record.mechanisms["processes"]
    assert scans == []
    assert_no_process_left(marker)
