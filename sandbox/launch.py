"""How the child starts: one exec chain that makes the scratch tmpfs in a mount namespace of
its own, joins the run's cgroups, then waits at a gate until the runner has set its rlimits and
copied the lab in, and only then execs the sandbox. No Python preexec hook, no keeper process.

A preexec_fn forces fork() instead of vfork(), runs Python in the child (about 3-5 ms a run) and
is unsafe in a threaded process (the TUI). The child must join the cgroups itself ("0": see
sandbox/cgroups.py), which a `sh` does in well under 1 ms; the rlimits are set from outside with
prlimit(2) while the chain has not passed the gate (they hold across exec; no `prlimit` program:
~1.4 ms). Where the scratch space is a tmpfs, the chain starts as `unshare --mount`, and its
`sh` mounts the tmpfs in that namespace and says "ready"; the runner opens the tmpfs through
/proc/<pid>/root, keeps that directory descriptor (the files stay reachable after the namespace
is gone, and vanish when it is closed or the runner dies) and copies the lab in. The gate then
lets the chain exec bwrap in that namespace (no `nsenter`: ~3 ms; no keeper: setpriv, sh, sleep).

The gate is a line on the child's stdin (dash names single-digit fds only), which becomes
/dev/null before the exec. Should the runner die or give up before it opens the gate, the
waiting `sh` reads EOF and exits 125: the lab never starts, with or without its limits.
"""

from __future__ import annotations

import functools
import os
import resource
import shutil
import subprocess
from dataclasses import dataclass

from sandbox import host
from sandbox.bwrap_args import DATA_FD
from sandbox.cgroups import RunCgroups
from sandbox.limits import Limits

# $1, $2, $3 (mount stage only): the mount program (the chain has no PATH), tmpfs options and
# where to mount it; "ready" on stdout once done.
# Joins each cgroup named before "--" ("0" is the writer itself, this single-threaded shell: no
# pid lookup, and on cgroup v1 no global lock, RunCgroups.join_files), waits at the gate, execs.
_JOIN = 'while [ "$1" != "--" ]; do echo 0 > "$1" || exit 125; shift; done; shift; '
_GATE = 'read -r go || exit 125; exec < /dev/null; exec "$@"'
GATE_SCRIPT = _JOIN + _GATE
MOUNT_SCRIPT = '"$1" -t tmpfs -o "$2" tutor-sandbox "$3" || exit 1; echo ready; shift 3; ' + _JOIN + _GATE
READY = b"ready\n"

_RLIMITS = {"core": resource.RLIMIT_CORE, "cpu": resource.RLIMIT_CPU, "fsize": resource.RLIMIT_FSIZE,
            "nproc": resource.RLIMIT_NPROC, "as": resource.RLIMIT_AS}


@functools.cache
def _tool(name: str) -> str | None:
    return shutil.which(name)


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
    """Start ``argv`` with ``stdin`` as its stdin, call ``started()``, ``limit(pid)``, with a
    mount ``mounted(stdout)``, then ``release()`` to let it exec the sandbox."""

    argv: list[str]
    values: dict[str, tuple[int, int]]
    read_fd: int
    write_fd: int
    mounts: bool = False

    @property
    def stdin(self) -> int:
        return self.read_fd

    def started(self) -> None:
        """Popen has returned: the child holds its own copy of the gate's read end."""
        os.close(self.read_fd)
        self.read_fd = -1

    def limit(self, pid: int) -> None:
        """Set the rlimits on the child, which cannot pass the gate yet."""
        for name, pair in self.values.items():
            resource.prlimit(pid, _RLIMITS[name], pair)

    def mounted(self, stdout) -> bool:
        """Whether the tmpfs is mounted in the child's namespace (False: the mount failed)."""
        return self.mounts and stdout.readline() == READY

    def release(self) -> None:
        """Open the gate: the chain execs the sandbox."""
        try:
            os.write(self.write_fd, b"go\n")
        finally:
            self.close()

    def close(self) -> None:
        """Without a "go", the child reads EOF and exits 125 before running anything."""
        for fd in (self.read_fd, self.write_fd):
            if fd >= 0:
                os.close(fd)
        self.read_fd = self.write_fd = -1


def gated(argv: list[str], limits: Limits, gpu: bool, cgroups: RunCgroups, nproc: int | None,
          mount: tuple[str, str] | None = None) -> Gated:
    """``mount``: (tmpfs options, where), made in a new private mount namespace before the gate."""
    read_fd, write_fd = os.pipe()
    joins = [str(path) for path in cgroups.join_files()]
    values = rlimit_values(limits, gpu, nproc)
    if mount and _tool("unshare") and _tool("mount"):
        wrapped = [_tool("unshare"), "--mount", "--propagation", "private", "--",
                   "/bin/sh", "-c", MOUNT_SCRIPT, "sh", _tool("mount"), *mount, *joins, "--", *argv]
        return Gated(wrapped, values, read_fd, write_fd, mounts=True)
    return Gated(["/bin/sh", "-c", GATE_SCRIPT, "sh", *joins, "--", *argv], values, read_fd, write_fd)


@dataclass
class Chain:
    """A started launch chain, waiting at its last gate until ``release()``."""

    proc: subprocess.Popen
    gate: Gated
    released: bool = False

    def release(self) -> None:
        self.released = True
        self.gate.release()

    def abandon(self) -> None:
        """Close the gate unopened: the chain exits 125 having run nothing; reap it."""
        self.gate.close()
        if not self.released and self.proc.returncode is None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream:
                    stream.close()


def spawn(gate: Gated, cwd: str | None, env: dict[str, str], pass_fds: tuple[int, ...]) -> Chain:
    """Start the chain (in a session of its own, output piped) and set its rlimits."""
    try:
        proc = subprocess.Popen(gate.argv, cwd=cwd, env=env, stdin=gate.stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True, pass_fds=pass_fds)
    except BaseException:
        gate.close()
        raise
    gate.started()
    chain = Chain(proc, gate)
    try:
        gate.limit(proc.pid)
    except OSError:
        chain.abandon()
        raise
    return chain


def hidden_options(argv: list[str], keep: str,
                   data: dict[str, bytes] | None = None) -> tuple[list[str], tuple[int, ...]]:
    """bwrap's options through --args FD instead of its command line: inside the sandbox bwrap is
    pid 1, and /proc/1/cmdline would show the host's paths (scratch dir, lab folder). Only
    ``keep`` (the run's token, /lab/runs/<id>) stays visible, for finding an orphaned bwrap.
    Each DATA_FD + name option becomes a new memfd holding ``data[name]`` (bwrap reads it once).
    The caller closes the descriptors returned once the child has started."""
    bwrap = host.bwrap_path()
    if bwrap not in argv:
        return argv, ()
    start = argv.index(bwrap) + 1
    end = argv.index("--", start)
    options, fds = argv[start:end], []
    try:
        for i, option in enumerate(options):
            if option.startswith(DATA_FD):
                fds.append(_memfd("bwrap-data", (data or {})[option[len(DATA_FD):]]))
                options[i] = str(fds[-1])
        fds.append(_memfd("bwrap-args", b"".join(a.encode() + b"\0" for a in options)))
    except BaseException:
        for fd in fds:
            os.close(fd)
        raise
    return argv[:start] + ["--args", str(fds[-1]), "--setenv", "TUTOR_RUN_DIR", keep] + argv[end:], tuple(fds)


def _memfd(name: str, content: bytes) -> int:
    fd = os.memfd_create(name)
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
