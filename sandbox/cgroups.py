"""Per-run cgroups for the process count and memory, on cgroup v2 or v1, when writable.

Each run gets its own group nested under the runner's current group (so the host's own
accounting still applies). The child joins it before exec, so every descendant, even one
that double-forks and calls setsid, stays inside and is killed with the group.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(os.environ.get("SANDBOX_CGROUP_ROOT", "/sys/fs/cgroup"))


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


def _controller_dir(controller: str) -> tuple[Path, str] | None:
    """Where a new group for `controller` can be made, and the cgroup version, or None."""
    own = _own_paths()
    v1 = ROOT / controller
    if (v1 / "cgroup.procs").exists() and controller in own:
        return v1 / own[controller].lstrip("/"), "v1"
    for base in (ROOT, ROOT / "unified"):
        controllers_file = base / "cgroup.controllers"
        if controllers_file.exists() and controller in controllers_file.read_text().split():
            parent = base / own.get("", "/").lstrip("/")
            enabled = (parent / "cgroup.subtree_control")
            if enabled.exists() and controller in enabled.read_text().split():
                return parent, "v2"
    return None


@dataclass
class RunCgroups:
    """The groups of one run; `paths` holds one directory per controller actually in use."""

    paths: dict[str, Path] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, name: str, max_procs: int | None, memory_bytes: int | None) -> "RunCgroups":
        groups = cls()
        wanted = {"pids": max_procs, "memory": memory_bytes}
        for controller, value in wanted.items():
            if value is None:
                continue
            found = _controller_dir(controller)
            if not found:
                continue
            parent, version = found
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
            except OSError:
                _remove(path)
                continue
            groups.paths[controller] = path
            groups.versions[controller] = version
        return groups

    def mechanism(self, controller: str) -> str | None:
        if controller not in self.paths:
            return None
        return f"cgroup-{self.versions[controller]} {controller}"

    def join(self) -> None:
        """Called in the child before exec (as root, before dropping privileges)."""
        me = str(os.getpid())
        for path in self.paths.values():
            (path / "cgroup.procs").write_text(me)

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
            time.sleep(0.01)
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
