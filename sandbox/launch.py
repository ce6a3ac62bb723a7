"""How the child starts: one exec chain that waits at a first gate until the runner has set its
rlimits and made the run's cgroups (which it joins), execs bubblewrap, and waits at a last gate
inside the finished sandbox until the runner has filled the lab's scratch tmpfs. No Python
preexec hook, no keeper process. Everything the runner does between spawn and the last gate
(cgroups, capture threads, the record) overlaps the sandbox's construction (~7 ms).

A preexec_fn forces fork() instead of vfork(), runs Python in the child (about 3-5 ms a run) and
is unsafe in a threaded process (the TUI). The child must join the cgroups itself ("0": see
sandbox/cgroups.py), which a `sh` does in well under 1 ms; the rlimits are set from outside with
prlimit(2) while that `sh` waits at its first gate (they hold across exec; no `prlimit` program:
~1.4 ms); the gate's lines name the cgroup files to join. bubblewrap then builds the sandbox, the lab's scratch tmpfs included, in namespaces of
its own, while the runner goes on with its own work; a `sh` inside says "ready" on stdout and
waits at the last gate. The runner finds the sandbox's first process (bwrap --info-fd), opens
the tmpfs through /proc/<pid>/root, sets its size and inode limits (fspick, sandbox/tmpfs.py),
keeps that directory descriptor (the files stay reachable after the sandbox has gone, and
vanish when it is closed or the runner dies) and copies the lab in. Only then does the gate let
the chain exec the lab (as root without the runner's user namespace: setpriv first; with it,
bwrap has already switched uid and the gate closes USERNS_FD). The tmpfs never exists outside the sandbox's
mount namespace: however the runner dies, it goes with the sandbox.

Both gates are lines on the child's stdin (dash names single-digit fds only, and reads a pipe a
byte at a time, so each `read` takes its own line), which becomes /dev/null before the last
exec. Should the runner die or give up before it opens a gate, the waiting `sh` reads EOF and
exits 125: the lab never starts, with or without its limits.
"""

from __future__ import annotations

import fcntl
import json
import os
import resource
import subprocess
from dataclasses import dataclass, field

from sandbox import host
from sandbox.bwrap_args import DATA_FD
from sandbox.limits import Limits
from sandbox.userns import OPENER, USERNS_FD

# The first gate: one line per cgroup file to join ("0" is the writer itself, this single-threaded
# shell: no pid lookup, and on cgroup v1 no global lock, RunCgroups.join_files), then "limited"
# once the rlimits are set. The runner makes the groups after starting the chain.
_FIRST = 'while :; do read -r f || exit 125; [ "$f" = limited ] && break; echo 0 > "$f" || exit 125; done; '
_GATE = f'read -r go || exit 125; exec < /dev/null {USERNS_FD}<&-; exec "$@"'
OUTER_SCRIPT = _FIRST + 'exec "$@"'                    # then bwrap
# A root run's bwrap enters the runner's user namespace (sandbox/userns.py) through USERNS_FD,
# opened here from "$1"; bwrap leaves it open, and the last gate closes it before the lab.
_OPEN_USERNS = OPENER
OUTER_USERNS_SCRIPT = _FIRST + _OPEN_USERNS + 'exec "$@"'
INNER_SCRIPT = 'echo ready; ' + _GATE                   # the sandbox's first command, inside
GATE_SCRIPT = _FIRST + _GATE                            # the process backend: both gates in one sh
READY = b"ready\n"
LIMITED, GO = b"limited\n", b"go\n"
INFO_MAX_BYTES = 65536

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
    """Start ``argv`` with ``stdin`` as its stdin (and ``pass_fds``), call ``started()``,
    ``limit(pid)`` (the first gate), then ``release()`` (the last) to let it exec the lab."""

    argv: list[str]
    values: dict[str, tuple[int, int]]
    read_fd: int
    write_fd: int
    sandboxed: bool = False                  # bubblewrap: "ready" on stdout, the sandbox's pid on info
    info_read: int = -1
    info_write: int = -1
    _pid: int | None = None

    @property
    def stdin(self) -> int:
        return self.read_fd

    @property
    def pass_fds(self) -> tuple[int, ...]:
        return (self.info_write,) if self.info_write >= 0 else ()

    def started(self) -> None:
        """Popen has returned: the child holds its own copies of the gate's read end and the info
        pipe's write end."""
        for name in ("read_fd", "info_write"):
            if getattr(self, name) >= 0:
                os.close(getattr(self, name))
                setattr(self, name, -1)

    def limit(self, pid: int) -> None:
        """Set the rlimits on the child, which cannot pass the first gate yet."""
        for name, pair in self.values.items():
            resource.prlimit(pid, _RLIMITS[name], pair)

    def open_first(self, join_files) -> None:
        """Open the first gate (after limit()): the child joins these cgroups, then goes on."""
        lines = [str(path) for path in join_files]
        if any("\n" in line for line in lines):
            raise OSError("a cgroup path with a newline in it cannot be joined")
        os.write(self.write_fd, "".join(line + "\n" for line in lines).encode() + LIMITED)

    def sandbox_pid(self) -> int:
        """The host pid of the sandbox's first process, from bwrap's --info-fd JSON (bwrap writes
        it right after making the namespaces and closes the pipe). OSError when there is none."""
        if self._pid is None:
            self._pid = self._read_pid()
        return self._pid

    def _read_pid(self) -> int:
        chunks, size = [], 0
        while size <= INFO_MAX_BYTES:
            chunk = os.read(self.info_read, 4096)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        try:
            return int(json.loads(b"".join(chunks))["child-pid"])
        except (ValueError, KeyError, TypeError) as exc:
            raise OSError(f"bubblewrap gave no sandbox pid ({exc})") from exc

    def release(self) -> None:
        """Open the last gate: the chain execs the lab. A chain that has already ended (bubblewrap
        failed) is not an error here: the supervisor reaps it and the record says why."""
        try:
            os.write(self.write_fd, GO)
        except BrokenPipeError:
            pass
        finally:
            os.close(self.write_fd)
            self.write_fd = -1
        # The info pipe stays open until close(): bwrap may write to it after this, and a pipe
        # without a reader would kill it with SIGPIPE.

    def close(self) -> None:
        """Without a "go", the child reads EOF and exits 125 before running anything."""
        for name in ("read_fd", "write_fd", "info_read", "info_write"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)


def gated(argv: list[str], limits: Limits, gpu: bool, nproc: int | None, userns: str | None = None) -> Gated:
    """``argv`` with its gates: around bubblewrap (its options may already sit in --args), the
    first gate before it and the last one inside the sandbox; otherwise both before ``argv``.
    ``userns``: the path the chain opens at USERNS_FD for bwrap's --userns (run_plan.Plan)."""
    read_fd, write_fd = os.pipe()
    values = rlimit_values(limits, gpu, nproc)
    span = _bwrap_options(argv)
    if span is None:
        return Gated(["/bin/sh", "-c", GATE_SCRIPT, "sh", *argv], values, read_fd, write_fd)
    info_read, info_write = os.pipe()
    info_write = _above_digits(info_write)
    os.set_inheritable(info_write, True)
    at, end = span[0], span[1] + 1
    wrapped = [*argv[:at], "--info-fd", str(info_write), *argv[at:end],
               "/bin/sh", "-c", INNER_SCRIPT, "sh", *argv[end:]]
    outer = ["/bin/sh", "-c", OUTER_USERNS_SCRIPT, "sh", userns] if userns else ["/bin/sh", "-c", OUTER_SCRIPT, "sh"]
    return Gated(outer + wrapped, values, read_fd, write_fd,
                 sandboxed=True, info_read=info_read, info_write=info_write)


def with_userns(argv: list[str], userns: str | None) -> list[str]:
    """``argv`` (bwrap with --userns USERNS_FD) started without the gates: a shell opens the
    namespace first (the GPU pre-flight)."""
    if not userns:
        return argv
    return ["/bin/sh", "-c", _OPEN_USERNS + 'exec "$@"', "sh", userns, *argv]


@dataclass
class Chain:
    """A started launch chain, waiting at its first gate (``gate.open_first``), then at its last
    until ``release()``. ``captures``: the threads draining its stdout and stderr."""

    proc: subprocess.Popen
    gate: Gated
    captures: list = field(default_factory=list)
    released: bool = False

    def ready(self, timeout: float) -> bool:
        """Whether the sandbox is built and waits at its last gate (always, without bubblewrap)."""
        if not self.gate.sandboxed:
            return True
        out = self.captures[0]
        return out.ready.wait(timeout) and out.preamble_seen

    def start_captures(self, captures: list) -> None:
        self.captures = captures
        for capture in captures:
            capture.start()

    def release(self) -> None:
        self.released = True
        self.gate.release()

    def abandon(self) -> None:
        """Close the gate unopened: the chain exits 125 having run nothing; reap it, and let its
        captures reach the end of its output."""
        self.gate.close()
        if not self.released and self.proc.returncode is None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            for capture in self.captures:
                capture.join(timeout=5)
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream and not self.captures:
                    stream.close()


def spawn(gate: Gated, cwd: str | None, env: dict[str, str], pass_fds: tuple[int, ...]) -> Chain:
    """Start the chain (in a session of its own, output piped) and set its rlimits; it waits at
    its first gate (``gate.open_first``)."""
    try:
        proc = subprocess.Popen(gate.argv, cwd=cwd, env=env, stdin=gate.stdin, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True,
                                pass_fds=pass_fds + gate.pass_fds)
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
    span = _bwrap_options(argv)
    if span is None:
        return argv, ()
    start, end = span
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


def _bwrap_options(argv: list[str]) -> tuple[int, int] | None:
    """Where bwrap's options are in ``argv`` (after the program, up to its "--"), or None."""
    bwrap = host.bwrap_path()
    if bwrap not in argv:
        return None
    start = argv.index(bwrap) + 1
    return start, argv.index("--", start)


def _above_digits(fd: int) -> int:
    """``fd`` moved to 10 or above: the chain's own descriptors (USERNS_FD) are single digits,
    which the descriptors passed to it must never take."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


def _memfd(name: str, content: bytes) -> int:
    fd = _above_digits(os.memfd_create(name))
    view = memoryview(content)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
