"""How the child starts with its limits: one `sh` that joins the run's cgroups and waits at a
gate while the runner sets its rlimits, then execs the sandbox. No Python preexec hook.

A preexec_fn forces fork() instead of vfork(), runs Python in the child (about 3-5 ms a run) and
is unsafe in a threaded process (the TUI). The child must join the cgroups itself ("0": see
sandbox/cgroups.py), which a `sh` does in well under 1 ms; the rlimits are set from outside with
prlimit(2) on that `sh` while it waits, which saves the exec of a `prlimit` program. Everything
the lab runs inherits both. Should the runner die before it opens the gate, `sh` reads EOF and
exits 125: the lab never starts without its limits.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

from sandbox.cgroups import RunCgroups
from sandbox.limits import Limits

# The gate is the child's stdin (dash names single-digit fds only). Joins each cgroup named
# before "--", waits for a line on the gate, puts /dev/null in its place (the lab gets that, as
# before), then execs the rest. "0" is the writer itself (this single-threaded shell): no pid
# lookup, and on cgroup v1 no global lock (RunCgroups.join_files).
GATE_SCRIPT = ('while [ "$1" != "--" ]; do echo 0 > "$1" || exit 125; shift; done; shift; '
               'read -r go || exit 125; exec < /dev/null; exec "$@"')

_RLIMITS = {"core": resource.RLIMIT_CORE, "cpu": resource.RLIMIT_CPU, "fsize": resource.RLIMIT_FSIZE,
            "nproc": resource.RLIMIT_NPROC, "as": resource.RLIMIT_AS}


def rlimit_values(limits: Limits, gpu: bool, nproc: int | None) -> dict[str, tuple[int, int]]:
    cpu = limits.effective_cpu_s()
    fsize = limits.file_size_mb * 2**20
    values = {"core": (0, 0), "cpu": (cpu, cpu + 1),  # SIGXCPU first, SIGKILL a second later
              "fsize": (fsize, fsize)}
    if nproc is not None:
        values["nproc"] = (nproc, nproc)
    if not gpu:  # CUDA reserves far more address space than it uses: GPU runs are bounded elsewhere
        memory = limits.memory_mb * 2**20
        values["as"] = (memory, memory)
    return values


@dataclass
class Gated:
    """Start ``argv`` with ``stdin`` as its stdin, call ``started()``, then ``open(pid)``."""

    argv: list[str]
    values: dict[str, tuple[int, int]]
    read_fd: int
    write_fd: int

    @property
    def stdin(self) -> int:
        return self.read_fd

    def started(self) -> None:
        """Popen has returned: the child holds its own copy of the gate's read end."""
        os.close(self.read_fd)
        self.read_fd = -1

    def open(self, pid: int) -> None:
        """Set the rlimits on the waiting child, then let it exec the sandbox."""
        try:
            for name, pair in self.values.items():
                resource.prlimit(pid, _RLIMITS[name], pair)
            os.write(self.write_fd, b"go\n")
        finally:
            self.close()

    def close(self) -> None:
        """Without a "go", the child reads EOF and exits 125 before running anything."""
        for fd in (self.read_fd, self.write_fd):
            if fd >= 0:
                os.close(fd)
        self.read_fd = self.write_fd = -1


def gated(argv: list[str], limits: Limits, gpu: bool, cgroups: RunCgroups, nproc: int | None) -> Gated:
    read_fd, write_fd = os.pipe()
    joins = [str(path) for path in cgroups.join_files()]
    wrapped = ["/bin/sh", "-c", GATE_SCRIPT, "sh", *joins, "--", *argv]
    return Gated(wrapped, rlimit_values(limits, gpu, nproc), read_fd, write_fd)
