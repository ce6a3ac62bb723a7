"""One user namespace per root runner process, in which bubblewrap drops to the run's uid itself.

As root, the sandbox used to exec `setpriv` inside to change uid (2-3 ms a run: dynamic
loading, libcap-ng, and a locale load under LANG=C.UTF-8). bubblewrap can change uid itself,
but only inside a user namespace; one made by bwrap's `--unshare-user` as root would map the
sandbox's uid to host root. So the runner makes the namespace, once, and writes its maps:

- the run uids (RUN_UID_BASE .. +RUN_UID_SPAN, uid and gid) map to themselves: the lab's
  processes are the same host uid as before, and the runner's per-uid counting and sweeping hold;
- host root (kuid 0) shows inside as nobody (65534), and nothing else of the host is mapped.
  Root must be mapped somehow, or the runner could not create files in the lab's scratch tmpfs
  (mounted in this namespace: EOVERFLOW); it must not be uid 0 inside, or bubblewrap's own
  switch (setuid before setgid) drops CAP_SETGID first and fails.

The lab gets no capability in the namespace (bwrap clears all five sets and the bounding set,
and sets no_new_privs; setuid binaries are on nosuid binds besides). Each run still has its own
mount, pid, net, ipc, uts and cgroup namespaces; this one is shared only as the owner of those.

bubblewrap takes the namespace as a descriptor that it leaves open into the command: the chain
opens it at USERNS_FD from `path()` and the last gate closes it (launch.py), so the lab never
holds it. Where the namespace cannot be made (no user namespaces, an old bwrap, a probe that
fails) runs fall back to setpriv; `problem()` says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading

from sandbox import host

# A uid for one run alone, far above real accounts: counting and sweeping by uid is then exact.
RUN_UID_BASE, RUN_UID_SPAN = 1_800_000_000, 100_000_000
HOST_ROOT_INSIDE = 65534
USERNS_FD = 3     # where the chain holds the namespace for bwrap (a single digit: dash closes it)
# A shell line that opens path() ("$1") at USERNS_FD, then goes on with the rest of its arguments.
OPENER = f'exec {USERNS_FD}< "$1" || exit 125; shift; '
MAP = f"{HOST_ROOT_INSIDE} 0 1\n{RUN_UID_BASE} {RUN_UID_BASE} {RUN_UID_SPAN}\n"

_lock = threading.Lock()
_state: dict[str, object] = {}


def path() -> str | None:
    """Where the chain opens the namespace (this process's descriptor of it), or None when runs
    use setpriv instead."""
    fd = _shared()
    return None if fd is None else f"/proc/{os.getpid()}/fd/{fd}"


def problem() -> str | None:
    """Why there is no shared namespace (runs then use setpriv), or None."""
    _shared()
    return _state.get("problem")  # type: ignore[return-value]


def _shared() -> int | None:
    with _lock:
        if "fd" not in _state:
            _state["fd"], _state["problem"] = _make()
        return _state["fd"]  # type: ignore[return-value]


def _make() -> tuple[int | None, str | None]:
    if os.environ.get("SANDBOX_NO_USERNS"):
        return None, "turned off (SANDBOX_NO_USERNS)"
    if not host.is_root():
        return None, "the runner is not root"
    unshare, bwrap = shutil.which("unshare"), host.bwrap_path()
    if not unshare or not bwrap or not host.bwrap_supports("--userns"):
        return None, "needs util-linux unshare and bwrap >= 0.5 (--userns)"
    try:
        holder = subprocess.Popen([unshare, "--user", "--", "/bin/sh", "-c", "echo; read x"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        return None, f"unshare did not start ({exc.strerror})"
    fd = None
    try:
        if holder.stdout.readline() != b"\n":   # EOF: unshare failed before the shell ran
            return None, "unshare --user failed: " + _last_line(holder.stderr.read())
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{holder.pid}/{name}", "w") as handle:   # a child not reaped: its pid holds
                handle.write(MAP)
        fd = os.open(f"/proc/{holder.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        return None, f"the user namespace could not be set up ({exc.strerror})"
    finally:
        holder.stdin.close()
        holder.wait()
        holder.stdout.close()
        holder.stderr.close()
    failure = _probe(bwrap, fd)
    if failure:
        os.close(fd)
        return None, failure
    return fd, None


def _probe(bwrap: str, fd: int) -> str | None:
    """Whether bwrap can enter the namespace and switch to a run uid there (some versions cannot),
    reaching it the way runs do: a shell opens path() at USERNS_FD (launch.py)."""
    uid = str(RUN_UID_BASE)
    opener = ["/bin/sh", "-c", OPENER + 'exec "$@"', "sh",
              f"/proc/{os.getpid()}/fd/{fd}"]
    try:
        done = subprocess.run([*opener, bwrap, "--userns", str(USERNS_FD), "--uid", uid, "--gid", uid,
                               "--unshare-pid", "--unshare-net", "--cap-drop", "ALL", "--ro-bind", "/", "/",
                               "--proc", "/proc", "--dev", "/dev", "--", "/bin/sh", "-c", "test \"$(id -u)\" = " + uid],
                              capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap --userns probe failed ({exc})"
    if done.returncode != 0:
        return "bwrap cannot use the namespace: " + _last_line(done.stderr)
    return None


def _last_line(data: bytes) -> str:
    return (data.decode(errors="replace").strip().splitlines() or ["no message"])[-1][:200]
