"""The run's processes, read from /proc (no psutil): tree, resident memory, sweeping leftovers."""

from __future__ import annotations

import os
import select
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    uid: int
    rss_bytes: int


def snapshot() -> dict[int, Proc]:
    procs: dict[int, Proc] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        proc = _read(int(entry.name))
        if proc:
            procs[proc.pid] = proc
    return procs


def _read_bytes(path: str) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)


def _read(pid: int) -> Proc | None:
    # Raw os calls: a /proc scan runs several times per lab run and pathlib costs milliseconds.
    stat = _read_bytes(f"/proc/{pid}/stat")
    if not stat:
        return None
    # The command name may hold spaces and parentheses: fields start after the last ')'.
    fields = stat[stat.rindex(b")") + 2:].split()
    if fields[0] in (b"Z", b"X"):
        return None  # exited, waiting to be reaped: nothing to kill or measure
    try:
        uid = os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None
    return Proc(pid=pid, ppid=int(fields[1]), uid=uid, rss_bytes=int(fields[21]) * PAGE)


def rss_bytes(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        statm = _read_bytes(f"/proc/{pid}/statm")
        if statm:
            total += int(statm.split()[1]) * PAGE
    return total


def pss_bytes(pids: set[int]) -> int:
    """Proportional set size summed: pages shared after fork() count once across the run, where
    summing RSS would count them in every child. Falls back to RSS without smaps_rollup."""
    total = 0
    for pid in pids:
        rollup = _read_bytes(f"/proc/{pid}/smaps_rollup")
        line = next((l for l in (rollup or b"").splitlines() if l.startswith(b"Pss:")), None)
        if line is not None:
            total += int(line.split()[1]) * 1024
        else:
            total += rss_bytes({pid})
    return total


def descendants(root: int, procs: dict[int, Proc]) -> set[int]:
    children: dict[int, list[int]] = {}
    for proc in procs.values():
        children.setdefault(proc.ppid, []).append(proc.pid)
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def tree_rss_bytes(root: int, extra: set[int] | None = None) -> tuple[int, set[int]]:
    """Resident memory of root, its descendants and `extra` pids; and the pids counted."""
    procs = snapshot()
    pids = ({root} | descendants(root, procs) | (extra or set())) & procs.keys()
    return sum(procs[p].rss_bytes for p in pids), pids


def _pids_whose(name: str, matches) -> set[int]:
    """Processes whose whole /proc/<pid>/<name> satisfies ``matches`` (read in full: a bwrap
    command line runs past one page)."""
    found = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if matches(Path(f"/proc/{entry.name}/{name}").read_bytes()):
                found.add(int(entry.name))
        except OSError:
            continue
    found.discard(os.getpid())
    return found


def pids_with_marker(marker: str) -> set[int]:
    """Processes whose environment holds `marker` (readable for our own uid or as root)."""
    needle = marker.encode()
    return _pids_whose("environ", lambda environ: needle in environ)


def pids_running(program: str, token: str) -> set[int]:
    """Processes started as ``program`` with ``token`` among their arguments."""
    first, needle = program.encode() + b"\0", token.encode()
    return _pids_whose("cmdline", lambda cmdline: cmdline.startswith(first) and needle in cmdline[len(first):])


def pids_of_uid(uid: int) -> set[int]:
    """Live processes owned by uid: a stat per /proc entry, /proc/<pid>/stat only for matches."""
    found = set()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid != uid:
                continue
        except OSError:
            continue
        if _read(int(entry.name)):
            found.add(int(entry.name))
    return found


def is_namespace_init(pid: int) -> bool:
    """Whether pid is pid 1 of a pid namespace one level below ours: bubblewrap's own init in
    the sandbox (a lab's own nested namespace would be deeper). Gone processes are not."""
    status = _read_bytes(f"/proc/{pid}/status")
    line = next((l for l in (status or b"").splitlines() if l.startswith(b"NSpid:")), b"")
    fields = line.split()
    return len(fields) == 3 and fields[2] == b"1"


def wait_any_exit(pids: set[int], timeout_s: float, most: int = 8) -> None:
    """Sleep until one of ``pids`` exits or ``timeout_s`` passes. A pidfd wakes at the exit
    itself (the sandbox's init tears its namespaces down for ~1 ms after bwrap has exited);
    with more than ``most`` processes, or without pidfds, just sleep."""
    fds: list[int] = []
    try:
        if len(pids) <= most:
            for pid in pids:
                try:
                    fds.append(os.pidfd_open(pid))
                except ProcessLookupError:
                    return  # one has already gone: look again now
                except (AttributeError, OSError):
                    break
        if fds and len(fds) == len(pids):
            select.select(fds, [], [], timeout_s)
        else:
            time.sleep(timeout_s)
    finally:
        for fd in fds:
            os.close(fd)


def signal_all(pids: set[int], sig: int) -> int:
    sent = 0
    for pid in pids:
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, sig)
            sent += 1
        except (ProcessLookupError, PermissionError):
            pass
    return sent


def signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
