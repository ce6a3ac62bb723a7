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


def _run_groups() -> set[str]:
    return {entry.name for entry in os.scandir(_memory_parent()) if entry.name.startswith(cgroups.PREFIX)}


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
    before = _run_groups()
    runner = subprocess.Popen([sys.executable, str(script)], start_new_session=True,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    left: set[str] = set()
    for _ in range(200):
        left = _run_groups() - before
        if left and any((_memory_parent() / name / "cgroup.procs").read_text().split() for name in left):
            break
        time.sleep(0.05)
    assert left, "the runner never made its group"
    os.killpg(runner.pid, signal.SIGKILL)
    runner.wait()
    assert _run_groups() - before == left          # the SIGKILLed runner could not clean up
    run(make_lab("print('next')"), ["python", "main.py"], Limits(timeout_s=10), backend="process")
    assert not (_run_groups() - before)
    assert_no_process_left(marker)
