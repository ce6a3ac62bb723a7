"""Why a run ended: ok | timeout | memory | killed | error, and which limit was hit."""

from __future__ import annotations

import signal

from sandbox.cgroups import RunCgroups
from sandbox.record import RunRecord
from sandbox.supervise import Outcome

# What programs print when an allocation fails under RLIMIT_AS.
MEMORY_WORDS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory",
                "Unable to allocate", "failed to map segment")
LIMIT_WORDS = {"disk": ("No space left on device",), "file_size": ("File too large",),
               "processes": ("Resource temporarily unavailable", "can't start new thread")}


def exit_and_signal(returncode: int | None, backend: str) -> tuple[int | None, int | None]:
    """Popen gives -N for a signal; bwrap reports a signalled lab as 128+N (inferred)."""
    if returncode is None:
        return None, None
    if returncode < 0:
        return None, -returncode
    if backend == "bubblewrap" and 128 < returncode < 128 + signal.NSIG:
        return returncode, returncode - 128
    return returncode, None


def classify(record: RunRecord, outcome: Outcome, returncode: int | None, backend: str,
             cgroups: RunCgroups, stderr_tail: str, gpu: bool) -> None:
    """``stderr_tail``: the end of the lab's stderr as the capture kept it (StreamCapture.tail);
    never read back from the log file, whose folder may be the lab's (in place)."""
    record.exit_code, record.signal = exit_and_signal(returncode, backend)
    tail = stderr_tail
    limit = None
    max_procs = record.limits["max_procs"]
    if cgroups.pids_limit_hit() or (outcome.peak_processes and outcome.peak_processes >= max_procs - 1):
        limit = "processes"
    if outcome.interrupted:
        reason, detail = "killed", "stopped by the user (interrupt); the process tree was killed"
    elif outcome.timed_out:
        reason, detail = "timeout", f"wall-clock limit of {record.limits['timeout_s']} s reached; the process tree was killed"
        limit = limit or "timeout"
    elif outcome.memory_killed or cgroups.oom_killed():
        reason, detail, limit = "memory", "memory limit reached; the process tree was killed", "memory"
    elif outcome.disk_killed:
        reason, detail, limit = "killed", "disk limit reached; the process tree was killed", "disk"
    elif record.exit_code == 0 and record.signal is None:
        reason, detail = "ok", ""
    elif record.signal is not None:
        reason = "killed"
        name = _signal_name(record.signal)
        if record.signal == signal.SIGXCPU:
            limit = "cpu"
        elif record.signal == signal.SIGXFSZ:
            limit = "file_size"
        detail = f"ended by {name}" + (f" ({limit} limit)" if limit else "")
    else:
        reason, detail = "error", f"exited with status {record.exit_code}"
        if not gpu and any(word in tail for word in MEMORY_WORDS):
            reason, limit = "memory", "memory"
            detail = f"allocation failed under the {record.limits['memory_mb']} MiB memory limit"
        else:
            for name, words in LIMIT_WORDS.items():
                if any(word in tail for word in words):
                    limit = limit or name
                    detail += f"; likely the {name} limit"
                    break
    record.reason, record.detail, record.limit_hit = reason, detail, limit
    if outcome.notes:
        record.detail = "; ".join([record.detail, *outcome.notes]).strip("; ")


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
