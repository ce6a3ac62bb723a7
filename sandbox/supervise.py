"""Watch a running lab: wall clock, memory watchdog, disk watchdog, peak RSS; stop the whole tree."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from sandbox import proctree
from sandbox.cgroups import RunCgroups

POLL_S = 0.02
WATCHDOG_SAMPLE_S = 0.1   # a memory or disk watchdog is on: look often
SAMPLE_S = 0.5            # otherwise only peaks are sampled: keep the runner's CPU share small


@dataclass
class Outcome:
    status: int | None = None          # raw wait status
    maxrss_bytes: int = 0              # from wait4: the largest of the tree's reaped processes
    polled_peak_rss: int = 0
    peak_processes: int = 0
    timed_out: bool = False
    memory_killed: bool = False
    disk_killed: bool = False
    leftovers_killed: int = 0
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Supervisor:
    proc: subprocess.Popen
    timeout_s: float
    grace_s: float
    cgroups: RunCgroups
    run_uid: int | None = None               # a uid used by this run alone: every process of it is ours
    marker: str | None = None                # env marker of the process backend's processes
    spare_root: bool = False                 # bwrap itself gets SIGTERM last (it would kill the lab at once)
    # (program, token): the sandbox's own processes, found by their arguments. Killed before it
    # has set the lab up, bwrap leaves its namespace's init behind, still root and outside the
    # run's uid, about to start the lab: only its arguments tell it apart.
    launcher: tuple[str, str] | None = None
    rss_limit_bytes: int | None = None       # run-wide watchdog, when no memory cgroup bounds the run
    disk_limit_bytes: int | None = None
    disk_usage: Callable[[], int] | None = None
    stop: threading.Event | None = None       # set from another thread: end the run as Ctrl-C would

    def run_pids(self) -> set[int]:
        """Every live process of the run. The pids cgroup holds them all when there is one
        (joined before exec, no way out), and so does the memory cgroup of a run with a uid of
        its own (that uid cannot write a cgroup file to leave); otherwise scan /proc by
        parentage, uid and marker (a scan of /proc costs about 1 ms)."""
        pids = self.cgroups.pids()
        if "pids" in self.cgroups.paths or (self.run_uid is not None and "memory" in self.cgroups.paths):
            pass
        elif self.run_uid is not None:
            pids |= proctree.pids_of_uid(self.run_uid)  # the uid is this run's alone
        else:
            pids |= proctree.descendants(self.proc.pid, proctree.snapshot())
            if self.marker:
                pids |= proctree.pids_with_marker(self.marker)
        pids.discard(os.getpid())
        return pids

    def wait(self) -> Outcome:
        out = Outcome()
        start = time.monotonic()
        deadline = start + self.timeout_s
        watched = self.rss_limit_bytes or self.disk_limit_bytes or "memory" in self.cgroups.paths
        interval = WATCHDOG_SAMPLE_S if watched else SAMPLE_S
        next_sample = start + min(interval, WATCHDOG_SAMPLE_S)
        exited = _ExitWatch(self.proc.pid)
        try:
            self._loop(out, deadline, next_sample, interval, exited)
        except KeyboardInterrupt:
            # Ctrl-C in the runner: stop the whole run now, still leave a record.
            out.interrupted = True
            self._kill_everything()
            if self.proc.returncode is None:
                _, status, rusage = os.wait4(self.proc.pid, 0)
                out.status, out.maxrss_bytes = status, rusage.ru_maxrss * 1024
                self.proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            exited.close()
        out.leftovers_killed = self.sweep()
        return out

    def _loop(self, out: Outcome, deadline: float, next_sample: float, interval: float, exited) -> None:
        kill_at: float | None = None
        while True:
            pid, status, rusage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                out.status, out.maxrss_bytes = status, rusage.ru_maxrss * 1024
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                break
            if self.stop is not None and self.stop.is_set():
                raise KeyboardInterrupt  # the same ending as Ctrl-C: stop everything, keep a record
            now = time.monotonic()
            kill_at = self._step(out, now, deadline, next_sample, kill_at)
            if now >= next_sample:
                next_sample = now + interval
            pending_deadline = None if out.timed_out else deadline
            wake = min(t for t in (pending_deadline, next_sample, kill_at) if t is not None)
            exited.wait(max(0.0, wake - time.monotonic()))


    def _step(self, out: Outcome, now: float, deadline: float, next_sample: float,
              kill_at: float | None) -> float | None:
        """One look at the run: wall clock, sampled limits, escalation to SIGKILL."""
        if kill_at is None and now >= deadline:
            out.timed_out = True
            kill_at = self._terminate(now)
        if now >= next_sample and kill_at is None:
            kill_at = self._check_limits(out, now)
        if kill_at is not None and now >= kill_at:
            self._kill_everything()
            kill_at = now + 0.2  # keep hitting until the root is reaped
        return kill_at

    def _check_limits(self, out: Outcome, now: float) -> float | None:
        if self.cgroups.oom_killed():
            # The kernel killed one process at the run's memory cgroup limit: the run ends with it.
            out.memory_killed = True
            out.notes.append("the run's memory cgroup reached its limit (the kernel's OOM killer acted)")
            return now
        pids = self.run_pids()
        out.peak_processes = max(out.peak_processes, len(pids - {self.proc.pid}))
        rss = proctree.rss_bytes(pids | {self.proc.pid})
        out.polled_peak_rss = max(out.polled_peak_rss, rss)
        if self.rss_limit_bytes and rss > self.rss_limit_bytes and (
                used := proctree.pss_bytes(pids | {self.proc.pid})) > self.rss_limit_bytes:
            out.memory_killed = True
            out.notes.append(f"the run's processes together held {used // 2**20} MiB, past the run's memory limit")
            return now  # no grace: memory is the host's to lose
        if self.disk_limit_bytes and self.disk_usage and self.disk_usage() > self.disk_limit_bytes:
            out.disk_killed = True
            out.notes.append("the lab's files passed the disk limit")
            return now
        return None

    def _terminate(self, now: float) -> float:
        """SIGTERM to the lab's processes; SIGKILL follows after the grace period."""
        pids = self.run_pids()
        if self.spare_root:
            pids.discard(self.proc.pid)
        proctree.signal_all(pids, signal.SIGTERM)
        if not self.spare_root:
            proctree.signal_group(self.proc.pid, signal.SIGTERM)
        return now + self.grace_s

    def _kill_everything(self) -> None:
        proctree.signal_group(self.proc.pid, signal.SIGKILL)
        proctree.signal_all(self.run_pids() | {self.proc.pid}, signal.SIGKILL)
        self.cgroups.kill_all(deadline_s=0.5)

    def sweep(self, deadline_s: float = 5.0) -> int:
        """After the main process ended: kill whatever of the run is still alive (daemons); how
        many of the lab's processes that was. The sandbox's own init (bwrap's pid 1, exiting
        right after the launcher) is killed with the rest but is no leftover of the lab."""
        killed: set[int] = set()
        launcher_init: set[int] = set()
        end = time.monotonic() + deadline_s
        proctree.signal_group(self.proc.pid, signal.SIGKILL)
        orphans_possible = self.launcher is not None and (self.proc.returncode or 0) < 0
        while time.monotonic() < end:
            pids = self.run_pids() - {self.proc.pid}
            if orphans_possible:  # the launcher died of a signal: it may have left its init behind
                pids |= proctree.pids_running(*self.launcher) - {self.proc.pid}
            if not pids:
                break
            if self.launcher is not None:  # looked at before the kill: a reaped pid says nothing
                launcher_init |= {pid for pid in pids - killed if proctree.is_namespace_init(pid)}
            proctree.signal_all(pids, signal.SIGKILL)
            killed |= pids
            if pids <= launcher_init and self.cgroups.paths:
                # Only the sandbox's init is left, tearing its namespaces down (~1 ms), and with
                # them whatever it still holds. The run's cgroup holds it: the runner's cleanup
                # (RunCgroups.kill_all) waits for it, after the record has been written meanwhile.
                return len(killed - launcher_init)
            proctree.wait_any_exit(pids, min(0.002, max(0.0, end - time.monotonic())))
        killed_in_cgroup = self.cgroups.kill_all(deadline_s=max(0.1, end - time.monotonic()))
        return len(killed - launcher_init) + killed_in_cgroup


class _ExitWatch:
    """Sleep until the child exits or a timeout passes: a pidfd wakes us at once (Linux 5.3+);
    without one, short sleeps."""

    def __init__(self, pid: int):
        self.fd = None
        self.poller = None
        try:
            self.fd = os.pidfd_open(pid)
            self.poller = select.poll()
            self.poller.register(self.fd, select.POLLIN)
        except (AttributeError, OSError):
            self.fd = None

    def wait(self, seconds: float) -> None:
        if self.poller is not None:
            self.poller.poll(int(seconds * 1000) + 1)
        else:
            time.sleep(min(seconds, POLL_S))

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
