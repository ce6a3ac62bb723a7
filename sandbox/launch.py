"""How the child starts with its limits: exec wrappers, not a Python preexec hook.

A preexec_fn forces fork() instead of vfork() and runs Python in the child: about 3-5 ms a
run. `sh` (join the run's cgroups) and `prlimit` (set the rlimits) cost well under 1 ms each
and give the same result: every process of the lab inherits both. Without prlimit we fall
back to the preexec hook.
"""

from __future__ import annotations

import functools
import resource
import shutil

from sandbox.cgroups import RunCgroups
from sandbox.limits import Limits

# Joins each cgroup named before "--", then execs the rest. "0" is the writer itself (this
# single-threaded shell): no pid lookup, and on cgroup v1 no global lock (RunCgroups.join_files).
JOIN_SCRIPT = 'while [ "$1" != "--" ]; do echo 0 > "$1" || exit 125; shift; done; shift; exec "$@"'


@functools.cache
def _prlimit() -> str | None:
    return shutil.which("prlimit")


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


def wrap(argv: list[str], limits: Limits, gpu: bool, cgroups: RunCgroups, nproc: int | None):
    """(argv to exec, preexec_fn or None)."""
    values = rlimit_values(limits, gpu, nproc)
    prlimit = _prlimit()
    if prlimit is None:
        return argv, _preexec(values, cgroups)
    wrapped = [prlimit, *(f"--{name}={soft}:{hard}" for name, (soft, hard) in values.items()), "--", *argv]
    procs = [str(path) for path in cgroups.join_files()]
    if procs:
        wrapped = ["/bin/sh", "-c", JOIN_SCRIPT, "sh", *procs, "--", *wrapped]
    return wrapped, None


_RLIMITS = {"core": resource.RLIMIT_CORE, "cpu": resource.RLIMIT_CPU, "fsize": resource.RLIMIT_FSIZE,
            "nproc": resource.RLIMIT_NPROC, "as": resource.RLIMIT_AS}


def _preexec(values: dict[str, tuple[int, int]], cgroups: RunCgroups):
    def apply() -> None:  # runs in the child between fork and exec
        cgroups.join()
        for name, pair in values.items():
            resource.setrlimit(_RLIMITS[name], pair)
    return apply
