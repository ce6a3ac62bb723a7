"""The Slurm run backend: the same runner as a Slurm job. Parsing and mapping are tested without
Slurm; the runs need a real one (.ci/services/slurm.sh) and skip with the reason elsewhere."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest

from sandbox import Limits, SandboxError, run
from sandbox.slurm import SlurmOptions, commands
from sandbox.slurm.job import sbatch_args, shared_dir_problem
from tests.sandbox.conftest import assert_no_process_left, slurm_options

SCONTROL = ("JobId=41 JobName=tutor-run UserId=root(0) JobState=TIMEOUT Reason=TimeLimit Dependency=(null) "
            "ExitCode=0:15 RunTime=00:01:01 TimeLimit=00:01:00 SubmitTime=2026-12-02T13:53:38 "
            "EligibleTime=2026-12-02T13:53:38 StartTime=2026-12-02T13:53:41 EndTime=2026-12-02T13:54:42 "
            "Partition=debug NodeList=vm BatchHost=vm NumNodes=1\n")


def test_scontrol_line_gives_state_node_and_queue_wait():
    [info] = commands.parse_scontrol(SCONTROL)
    assert (info.job_id, info.state, info.node, info.exit_code, info.exit_signal) == ("41", "TIMEOUT", "vm", 0, 15)
    assert info.queue_wait_s == 3.0 and info.done
    assert info.start == datetime(2026, 12, 2, 13, 53, 41)


def test_sacct_rows_parse_with_array_tasks():
    rows = commands.parse_sacct("7_0|COMPLETED|0:0|vm|2026-12-02T10:00:00|2026-12-02T10:00:05|"
                                "2026-12-02T10:00:09|None\n7_1|NODE_FAIL|1:0|None assigned|Unknown|Unknown|Unknown|x\n")
    assert [(r.array_task, r.state, r.node) for r in rows] == [("0", "COMPLETED", "vm"), ("1", "NODE_FAIL", "")]
    assert rows[0].queue_wait_s == 5.0 and rows[1].queue_wait_s is None


@pytest.mark.parametrize("state, reason", [("TIMEOUT", "timeout"), ("OUT_OF_MEMORY", "memory"),
                                           ("PREEMPTED", "preempted"), ("NODE_FAIL", "node_failure"),
                                           ("BOOT_FAIL", "node_failure"), ("CANCELLED", "killed"),
                                           ("COMPLETED", None), ("FAILED", None)])
def test_slurm_end_states_map_to_record_reasons(state, reason):
    info = commands.JobInfo(job_id="1", state=state)
    found = commands.slurm_reason(info)
    assert (found[0] if found else None) == reason


def test_limits_map_onto_slurms_own():
    options = SlurmOptions(shared_dir="/s", partition="gpu", account="course", qos="short", gpus=2)
    args = sbatch_args(options, Limits(timeout_s=30, memory_mb=1000), True, Path("/s/job"), "n")
    assert "--time=2" in args            # 30 s + 60 s margin, whole minutes rounded up
    assert "--mem=1512M" in args and "--cpus-per-task=1" in args and "--gres=gpu:2" in args
    assert {"--partition=gpu", "--account=course", "--qos=short", "--export=NONE"} <= set(args)
    assert not any(a.startswith("--gres") for a in sbatch_args(options, Limits(), False, Path("/s/j"), "n"))


def test_options_come_from_tutor_slurm_env():
    options = SlurmOptions.from_env({"TUTOR_SLURM_SHARED_DIR": "/x", "TUTOR_SLURM_ARRAY_LIMIT": "7",
                                     "TUTOR_SLURM_POLL_S": "0.1", "TUTOR_SLURM_PARTITION": "p"})
    assert (options.shared_dir, options.array_limit, options.poll_s, options.partition) == ("/x", 7, 0.1, "p")


def test_a_missing_or_unset_shared_dir_is_one_clear_error(tmp_path, make_lab):
    assert "TUTOR_SLURM_SHARED_DIR" in shared_dir_problem(SlurmOptions())
    assert "does not exist" in shared_dir_problem(SlurmOptions(shared_dir=str(tmp_path / "nope")))
    with pytest.raises(SandboxError, match="shared directory"):
        run(make_lab("pass\n"), ["python", "main.py"], scheduler="slurm",
            slurm=SlurmOptions(shared_dir=str(tmp_path / "nope")))
    with pytest.raises(SandboxError, match="unknown run backend"):
        run(make_lab("pass\n"), ["python", "main.py"], scheduler="kubernetes")


# ---- against a real Slurm ------------------------------------------------------------------

LAB = """
import json, os, sys, time
for i in range(3):
    print("line", i, flush=True)
    time.sleep(0.3)
print("to stderr", file=sys.stderr, flush=True)
json.dump({"loss": 0.5}, open(os.path.join(os.environ["TUTOR_RUN_DIR"], "metrics.json"), "w"))
sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""


@pytest.mark.parametrize("status, reason", [(0, "ok"), (3, "error")])
def test_a_slurm_run_gives_the_local_record_plus_job_facts(make_lab, status, reason):
    options = slurm_options()
    lab = make_lab(LAB)
    seen: list[tuple[str, str]] = []
    record = run(lab, ["python", "main.py", str(status)], Limits(timeout_s=30), scheduler="slurm", slurm=options,
                 on_output=lambda name, text: seen.append((name, text)))
    local = run(lab, ["python", "main.py", str(status)], Limits(timeout_s=30))
    assert (record.reason, record.exit_code) == (local.reason, local.exit_code) == (reason, status)
    assert record.backend == local.backend and record.metrics == local.metrics == {"loss": 0.5}
    assert "".join(t for n, t in seen if n == "stdout") == "line 0\nline 1\nline 2\n"
    assert "to stderr" in "".join(t for n, t in seen if n == "stderr")
    sched = record.scheduler
    assert sched["kind"] == "slurm" and sched["job_id"].isdigit() and sched["node"]
    assert sched["queue_wait_s"] is not None and sched["queue_wait_s"] >= 0
    assert Path(record.run_dir).parent == lab / "runs" and record.lab_dir == str(lab)
    stored = json.loads((Path(record.run_dir) / "run.json").read_text())
    assert stored["scheduler"]["job_id"] == sched["job_id"] and stored["reason"] == reason
    assert Path(record.logs["stdout"]).read_text() == "line 0\nline 1\nline 2\n"
    assert not list(Path(options.shared_dir).glob("tutor-run-*"))   # the job's directory is gone


def test_the_tutors_timeout_holds_though_slurms_limit_is_longer(make_lab, marker):
    options = slurm_options()
    lab = make_lab("while True:\n    pass\n")
    record = run(lab, ["python", "main.py", marker], Limits(timeout_s=1, grace_s=0.3), scheduler="slurm",
                 slurm=options)
    assert record.reason == "timeout" and record.limit_hit == "timeout"
    assert "--time=2" in record.scheduler["sbatch"]   # Slurm would have allowed two minutes
    assert record.duration_s < 10
    assert_no_process_left(marker)


def test_a_job_cancelled_mid_run_leaves_nothing_and_says_so(make_lab, marker):
    options = slurm_options()
    lab = make_lab("import os, time\nprint('ready', flush=True)\nif os.fork() == 0:\n    os.setsid()\n"
                   "time.sleep(120)\n")
    stop = threading.Event()

    def watch(name: str, text: str) -> None:
        if "ready" in text:
            stop.set()

    started = time.monotonic()
    record = run(lab, ["python", "main.py", marker], Limits(timeout_s=120), scheduler="slurm", slurm=options,
                 on_output=watch, stop=stop)
    assert record.reason == "killed" and "scancel" in record.detail
    assert time.monotonic() - started < 60
    assert record.scheduler["state"] in ("CANCELLED", "COMPLETED", "FAILED")
    assert_no_process_left(marker, within_s=10)


def test_a_killed_submitter_ends_its_job_and_leaves_nothing(make_lab, marker, tmp_path):
    """SIGKILL cannot be caught: the job notices the submitter's heartbeat stopped and ends itself."""
    import os
    import signal
    import subprocess
    import sys

    options = slurm_options()
    lab = make_lab("import time\nprint('ready', flush=True)\ntime.sleep(120)\n")
    code = ("import sys, sandbox\n"
            "sandbox.run(sys.argv[1], ['python', 'main.py', sys.argv[2]], sandbox.Limits(timeout_s=120), "
            "scheduler='slurm', on_output=lambda n, t: print(t, end='', flush=True))\n")
    env = {**os.environ, "TUTOR_SLURM_HEARTBEAT_S": "3", "TUTOR_SLURM_POLL_S": "0.2"}
    submitter = subprocess.Popen([sys.executable, "-c", code, str(lab), marker], stdout=subprocess.PIPE, env=env,
                                 cwd=str(Path(__file__).resolve().parents[2]))
    assert submitter.stdout.readline().strip() == b"ready"
    submitter.send_signal(signal.SIGKILL)
    submitter.wait()
    assert_no_process_left(marker, within_s=30)
    deadline = time.monotonic() + 15
    while list(Path(options.shared_dir).glob("tutor-run-*")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not list(Path(options.shared_dir).glob("tutor-run-*"))


def test_a_job_slurm_kills_gets_a_record_that_says_so(make_lab, marker):
    """The node the job runs on goes DOWN (as a failing node would): reason node_failure."""
    import subprocess

    options = slurm_options()
    node = subprocess.run(["sinfo", "-h", "-N", "-o", "%N"], capture_output=True, text=True).stdout.split()[0]
    lab = make_lab("import time\nprint('ready', flush=True)\ntime.sleep(120)\n")
    downed = threading.Event()

    def fail_the_node(name: str, text: str) -> None:
        if "ready" in text and not downed.is_set():
            downed.set()
            subprocess.run(["scontrol", "update", f"nodename={node}", "state=down", "reason=tutor-test"], check=True)

    try:
        record = run(lab, ["python", "main.py", marker], Limits(timeout_s=120), scheduler="slurm", slurm=options,
                     on_output=fail_the_node)
    finally:
        subprocess.run(["scontrol", "update", f"nodename={node}", "state=resume"], capture_output=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "idle" not in subprocess.run(
                ["sinfo", "-h", "-N", "-o", "%T"], capture_output=True, text=True).stdout:
            time.sleep(0.5)
    assert downed.is_set()
    assert record.reason == "node_failure", record.detail
    assert record.scheduler["state"] == "NODE_FAIL" and "failed" in record.detail
    assert_no_process_left(marker, within_s=15)


def test_a_node_that_does_not_see_the_shared_dir_is_named_in_the_record(make_lab, monkeypatch):
    """One node only here, so every folder is shared: job.sh is pointed at a spec the node cannot find."""
    from sandbox.slurm import job

    options = slurm_options()
    real = job.job_script
    monkeypatch.setattr(job, "job_script", lambda job_dir: real(job_dir / "not-mounted-here"))
    record = run(make_lab("print('never runs')\n"), ["python", "main.py"], Limits(timeout_s=30), scheduler="slurm",
                 slurm=options)
    assert record.reason == "error"
    assert "does not see the shared directory" in record.detail and "TUTOR_SLURM_SHARED_DIR" in record.detail
    assert record.scheduler["slurm_exit_code"] == 86
