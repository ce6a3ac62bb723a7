"""Per-run cgroups for the process count and memory, on cgroup v2 or v1, when writable.

Each run gets its own group nested under the runner's current group (so the host's own
accounting still applies). The child joins it before exec, so every descendant, even one
that double-forks and calls setsid, stays inside and is killed with the group.

Joining costs nothing on cgroup v1: the child writes "0" (itself) to the group's `tasks` file.
Writing a pid to `cgroup.procs` moves a whole thread group, which takes the kernel's global
threadgroup lock for writing: an RCU grace period, measured at 6-12 ms a run on a 2-CPU VM when
runs are ~80 ms apart (the rcu_sync state has gone idle by then). Moving the calling thread takes
no such lock, and a single-threaded `sh` (or a just-forked child) is the whole process. Making
and removing the group itself costs about 0.5 ms, so groups are not pooled. cgroup v2 cannot
move one thread into another domain: there `cgroup.procs` stays (and with it the lock).

A group's name carries its runner (pid namespace, pid, start time). A runner killed by SIGKILL
cannot remove its groups; the next run under the same parent removes every group whose runner is
gone (killing what is left in it first), so no group outlives two runs.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import proctree

ROOT = Path(os.environ.get("SANDBOX_CGROUP_ROOT", "/sys/fs/cgroup"))
PREFIX = "tutor-sandbox-"


def _own_paths() -> dict[str, str]:
    """controller -> this process's group path, from /proc/self/cgroup ('' is the v2 group)."""
    paths: dict[str, str] = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return paths
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            paths[name] = path
    return paths


def _find_controller(controller: str) -> tuple[tuple[Path, str] | None, str]:
    """Where a new group for `controller` can be made and the cgroup version (or None, why not)."""
    own = _own_paths()
    v1 = ROOT / controller
    if (v1 / "cgroup.procs").exists() and controller in own:
        return (v1 / own[controller].lstrip("/"), "v1"), ""
    why = f"no {controller} controller under {ROOT}"
    for base in (ROOT, ROOT / "unified"):
        controllers_file = base / "cgroup.controllers"
        if controllers_file.exists() and controller in controllers_file.read_text().split():
            parent = base / own.get("", "/").lstrip("/")
            enabled = (parent / "cgroup.subtree_control")
            if enabled.exists() and controller in enabled.read_text().split():
                return (parent, "v2"), ""
            why = f"the {controller} controller is not enabled for child groups of {parent}"
    return None, why


def _owner_tag(pid: int | None = None) -> str | None:
    """'<pid namespace>.<pid>.<start time>' of a process, or None once it is gone."""
    pid = os.getpid() if pid is None else pid
    try:
        namespace = _own_namespace()  # pids are read in our own namespace, whoever made the group
        start = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None
    return f"{namespace}.{pid}.{start}"


def _own_namespace() -> int:
    return os.stat("/proc/self/ns/pid").st_ino


_OWN_TAG: dict[int, str] = {}   # pid -> its owner tag: a process's own never changes (~0.07 ms a run)


def group_name(run_id: str) -> str:
    pid = os.getpid()   # a forked child has a pid, and so a tag, of its own
    if pid not in _OWN_TAG:
        tag = _owner_tag(pid)
        if tag is None:
            return f"{PREFIX}None-{run_id}"
        _OWN_TAG[pid] = tag
    return f"{PREFIX}{_OWN_TAG[pid]}-{run_id}"


def sweep_stale(parent: Path) -> list[str]:
    """Remove the groups under `parent` whose runner has died (a SIGKILLed runner cannot clean
    up). Only groups made in this pid namespace are judged: another namespace's pids mean nothing
    here. What is still inside a stale group is killed first: its run has no runner any more."""
    removed: list[str] = []
    mine = f"{PREFIX}{_own_namespace()}."
    try:
        names = [entry.name for entry in os.scandir(parent) if entry.name.startswith(mine)]
    except OSError:
        return removed
    for name in names:
        tag = name[len(PREFIX):].split("-", 1)[0]
        try:
            pid = int(tag.split(".")[1])
        except (IndexError, ValueError):
            continue
        if _owner_tag(pid) == tag:
            continue  # its runner is alive
        stale = RunCgroups(paths={"stale": parent / name}, versions={"stale": "v1"})
        stale.kill_all(deadline_s=1.0)
        _remove(parent / name)
        if not (parent / name).exists():
            removed.append(name)
    return removed


def memory_mode() -> tuple[str | None, str]:
    """(the per-run memory cgroup mechanism runs get, or None; why not) for `tutor doctor`."""
    found, why = _find_controller("memory")
    if not found:
        return None, why
    parent, version = found
    if not os.access(parent, os.W_OK):
        return None, f"{parent} is not writable by this user"
    return f"cgroup-{version} memory (groups under {parent})", ""


@dataclass
class RunCgroups:
    """The groups of one run; `paths` holds one directory per controller actually in use."""

    paths: dict[str, Path] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)   # controller wanted -> why it is not used

    @classmethod
    def create(cls, name: str, max_procs: int | None, memory_bytes: int | None) -> "RunCgroups":
        groups = cls()
        wanted = {"pids": max_procs, "memory": memory_bytes}
        for controller, value in wanted.items():
            if value is None:
                continue
            found, why = _find_controller(controller)
            if not found:
                groups.problems[controller] = why
                continue
            parent, version = found
            sweep_stale(parent)
            path = parent / name
            try:
                path.mkdir()
                if controller == "pids":
                    (path / "pids.max").write_text(str(value))
                elif version == "v1":
                    (path / "memory.limit_in_bytes").write_text(str(value))
                    _try_write(path / "memory.memsw.limit_in_bytes", str(value))
                else:
                    (path / "memory.max").write_text(str(value))
                    _try_write(path / "memory.swap.max", "0")
            except OSError as exc:
                groups.problems[controller] = f"cannot make {path} ({exc.strerror or exc})"
                _remove(path)
                continue
            groups.paths[controller] = path
            groups.versions[controller] = version
        return groups

    def mechanism(self, controller: str) -> str | None:
        if controller not in self.paths:
            return None
        return f"cgroup-{self.versions[controller]} {controller}"

    def join_files(self) -> list[Path]:
        """Where the child writes "0" to join each group (see the module docstring for why)."""
        return [path / ("tasks" if self.versions[controller] == "v1" else "cgroup.procs")
                for controller, path in self.paths.items()]

    def join(self) -> None:
        """Called in the child before exec (as root, before dropping privileges); single-threaded."""
        for path in self.join_files():
            path.write_text("0")

    def pids(self) -> set[int]:
        found: set[int] = set()
        for path in self.paths.values():
            try:
                found.update(int(p) for p in (path / "cgroup.procs").read_text().split())
            except OSError:
                pass
        return found

    def kill_all(self, deadline_s: float = 5.0) -> int:
        """SIGKILL every member until none is left (members may fork while we read)."""
        killed: set[int] = set()
        for path in self.paths.values():
            kill_file = path / "cgroup.kill"
            if kill_file.exists():
                _try_write(kill_file, "1")
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            members = self.pids()
            if not members:
                break
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.add(pid)
                except ProcessLookupError:
                    pass
            proctree.wait_any_exit(members, min(0.01, max(0.0, end - time.monotonic())))
        return len(killed)

    def memory_peak_bytes(self) -> int | None:
        path = self.paths.get("memory")
        if not path:
            return None
        name = "memory.max_usage_in_bytes" if self.versions["memory"] == "v1" else "memory.peak"
        return _read_int(path / name)

    def memory_current_bytes(self) -> int | None:
        path = self.paths.get("memory")
        if not path:
            return None
        name = "memory.usage_in_bytes" if self.versions["memory"] == "v1" else "memory.current"
        return _read_int(path / name)

    def oom_killed(self) -> bool:
        path = self.paths.get("memory")
        if not path:
            return False
        name = "memory.oom_control" if self.versions["memory"] == "v1" else "memory.events"
        counts = _read_counters(path / name)
        return counts.get("oom_kill", 0) > 0 or (self.versions["memory"] == "v1" and
                                                  (_read_int(path / "memory.failcnt") or 0) > 0
                                                  and counts.get("under_oom", 0) > 0)

    def pids_limit_hit(self) -> bool:
        path = self.paths.get("pids")
        return bool(path) and _read_counters(path / "pids.events").get("max", 0) > 0

    def pids_peak(self) -> int | None:
        path = self.paths.get("pids")
        return _read_int(path / "pids.peak") if path else None

    def remove(self) -> None:
        for path in self.paths.values():
            _remove(path)


def _remove(path: Path) -> None:
    end = time.monotonic() + 2.0
    while path.exists() and time.monotonic() < end:
        try:
            path.rmdir()  # a cgroup directory is removed with rmdir once it has no members
        except OSError:
            time.sleep(0.01)


def _try_write(path: Path, value: str) -> None:
    try:
        path.write_text(value)
    except OSError:
        pass


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _read_counters(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(" ")
            if value.strip().isdigit():
                counts[key] = int(value)
    except OSError:
        pass
    return counts
