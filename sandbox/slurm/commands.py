"""Slurm's own command-line tools (sbatch, scontrol, sacct, squeue, scancel, sinfo), called and parsed.

Nothing here schedules: it submits, asks and cancels. A job's final state comes from
``scontrol show job`` (the controller keeps it for MinJobAge after the end) and, once the
controller has forgotten it, from ``sacct``; a cluster without accounting storage (no slurmdbd,
like a single-node test Slurm) answers only the first, which the record then says.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime

TOOLS = ("sbatch", "squeue", "scontrol", "scancel", "sacct", "sinfo")
# States after which the job never runs again.
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "PREEMPTED",
            "BOOT_FAIL", "DEADLINE", "SPECIAL_EXIT", "REVOKED"}
COMMAND_TIMEOUT_S = 30.0


class SlurmError(Exception):
    """A Slurm tool is missing, or refused or failed a request: one line saying which and why."""


@dataclass
class JobInfo:
    job_id: str
    state: str                      # COMPLETED, RUNNING, TIMEOUT, ... (the base word only)
    exit_code: int | None = None
    exit_signal: int | None = None
    node: str = ""
    reason: str = ""
    submit: datetime | None = None
    start: datetime | None = None
    end: datetime | None = None
    source: str = "scontrol"        # which tool answered
    array_task: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    @property
    def queue_wait_s(self) -> float | None:
        if self.submit and self.start and self.start >= self.submit:
            return (self.start - self.submit).total_seconds()
        return None


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def call(argv: list[str], timeout: float = COMMAND_TIMEOUT_S) -> subprocess.CompletedProcess:
    if shutil.which(argv[0]) is None:
        raise SlurmError(f"{argv[0]} not found on PATH; install Slurm's client tools (slurm-client) "
                         "or use the local backend")
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SlurmError(f"{argv[0]} did not answer within {timeout:.0f} s; is slurmctld reachable?") from None


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or ["no output"])[-1][:300]


def sbatch(args: list[str], script: str) -> str:
    """Submit; the job id (for an array, the array's id)."""
    done = call(["sbatch", "--parsable", *args, script])
    if done.returncode != 0:
        raise SlurmError(f"sbatch refused the job: {_first_line(done.stderr or done.stdout)}")
    return done.stdout.strip().split(";")[0]


def scancel(job_id: str, signal: str | None = None) -> None:
    argv = ["scancel", *([f"--signal={signal}"] if signal else []), job_id]
    call(argv)  # an already finished job is no error worth raising


def _time(value: str | None) -> datetime | None:
    if not value or value in ("Unknown", "None", "N/A"):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _exit(value: str) -> tuple[int | None, int | None]:
    try:
        code, sig = value.split(":", 1)
        return int(code), int(sig)
    except ValueError:
        return None, None


def parse_scontrol(text: str) -> list[JobInfo]:
    """``scontrol show job -o`` output, one job (or array task) a line."""
    jobs = []
    for line in text.splitlines():
        fields = dict(token.split("=", 1) for token in line.split() if "=" in token)
        if "JobId" not in fields:
            continue
        code, sig = _exit(fields.get("ExitCode", ""))
        node = fields.get("BatchHost") or fields.get("NodeList", "")
        jobs.append(JobInfo(job_id=fields["JobId"], state=fields.get("JobState", "UNKNOWN").split()[0],
                            exit_code=code, exit_signal=sig, node="" if node == "(null)" else node,
                            reason=fields.get("Reason", ""), submit=_time(fields.get("SubmitTime")),
                            start=_time(fields.get("StartTime")), end=_time(fields.get("EndTime")),
                            array_task=fields.get("ArrayTaskId")))
    return jobs


SACCT_FIELDS = "JobID,State,ExitCode,NodeList,Submit,Start,End,Reason"


def parse_sacct(text: str) -> list[JobInfo]:
    jobs = []
    for line in text.splitlines():
        parts = line.split("|")
        if len(parts) < 8:
            continue
        job_id, state, exit_code, node, submit, start, end, reason = parts[:8]
        code, sig = _exit(exit_code)
        task = job_id.split("_", 1)[1] if "_" in job_id else None
        jobs.append(JobInfo(job_id=job_id, state=(state.split() or ["UNKNOWN"])[0], exit_code=code, exit_signal=sig,
                            node="" if node in ("None assigned", "") else node, reason=reason,
                            submit=_time(submit), start=_time(start), end=_time(end), source="sacct",
                            array_task=task))
    return jobs


def job_infos(job_id: str) -> tuple[list[JobInfo], str]:
    """(what Slurm knows of the job or array, a note when accounting storage could not be asked)."""
    done = call(["scontrol", "show", "job", "-o", job_id])
    if done.returncode == 0:
        found = parse_scontrol(done.stdout)
        if found:
            return found, ""
    acct = call(["sacct", "-j", job_id, "-X", "-n", "-P", "-o", SACCT_FIELDS])
    if acct.returncode == 0 and acct.stdout.strip():
        return parse_sacct(acct.stdout), ""
    why = _first_line(acct.stderr or acct.stdout)
    return [], (f"the controller no longer knows job {job_id} and sacct cannot tell ({why}); "
                "without accounting storage (slurmdbd) a job's end is kept only for MinJobAge")


def job_info(job_id: str) -> tuple[JobInfo | None, str]:
    found, note = job_infos(job_id)
    return (found[0] if found else None), note


# Slurm's end states that mean Slurm (not the lab) ended the job -> (reason, limit_hit, detail).
KILLED_BY_SLURM = {
    "TIMEOUT": ("timeout", "timeout", "Slurm ended the job at its time limit"),
    "DEADLINE": ("timeout", "timeout", "Slurm ended the job at its deadline"),
    "OUT_OF_MEMORY": ("memory", "memory", "Slurm ended the job: out of memory (its --mem)"),
    "PREEMPTED": ("preempted", None, "Slurm preempted the job for another"),
    "NODE_FAIL": ("node_failure", None, "the node running the job failed"),
    "BOOT_FAIL": ("node_failure", None, "the node for the job failed to boot"),
    "CANCELLED": ("killed", None, "the job was cancelled (scancel)"),
    "REVOKED": ("killed", None, "the job was revoked by the controller"),
}


def slurm_reason(info: JobInfo | None) -> tuple[str, str | None, str] | None:
    """How Slurm ended the job, when Slurm did; None when the job ended on its own."""
    if info is None:
        return None
    return KILLED_BY_SLURM.get(info.state)


def controller_status() -> tuple[bool, str]:
    done = call(["scontrol", "ping"], timeout=10)
    text = (done.stdout or done.stderr).strip()
    return done.returncode == 0 and " is UP" in text, _first_line(text)


def partitions() -> list[dict]:
    """[{name, state, nodes, gres, timelimit, default}] from sinfo."""
    done = call(["sinfo", "-h", "-o", "%P|%a|%D|%G|%l|%T"], timeout=10)
    if done.returncode != 0:
        raise SlurmError(f"sinfo failed: {_first_line(done.stderr)}")
    rows = []
    for line in done.stdout.splitlines():
        parts = line.split("|")
        if len(parts) == 6:
            name = parts[0]
            rows.append({"name": name.rstrip("*"), "default": name.endswith("*"), "available": parts[1],
                         "nodes": parts[2], "gres": parts[3], "timelimit": parts[4], "state": parts[5]})
    return rows


def accounting_storage() -> str | None:
    """AccountingStorageType (accounting_storage/none: no slurmdbd, so no sacct), or None if unknown."""
    done = call(["scontrol", "show", "config"], timeout=10)
    for line in done.stdout.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "AccountingStorageType":
            return value.strip()
    return None
