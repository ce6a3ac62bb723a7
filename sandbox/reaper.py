"""Sandboxes die with their runner: a small helper process SIGKILLs them if the runner dies first.

bubblewrap's --die-with-parent is a parent-death signal, which the kernel clears whenever a
process changes its credentials. Inside the runner's user namespace (sandbox/userns.py) both
bwrap processes do: the outer one enters the namespace, the sandbox's init switches to the lab's
uid. Without this helper, a runner killed with SIGKILL would leave its lab running with no
timeout and its scratch tmpfs alive.

One helper per runner process, started at the first run (a Python with no site, ~15 ms once),
in a session of its own (a signal to the runner's process group does not reach it). The runner
hands it a pidfd of each sandbox's init (its pid 1: killing it from outside ends every process
in the sandbox) over a socket pair. The helper forgets a sandbox once it has exited; when the
socket reaches EOF (the runner is gone, however it died) it SIGKILLs every sandbox left and
exits. A pidfd names one process, never a later one with a reused pid.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading

from sandbox import host

HELPER = r"""# tutor sandbox reaper: SIGKILLs this runner's sandboxes should the runner die
import os, select, signal, socket, sys
sock = socket.socket(fileno=0)
poller, watched = select.poll(), set()
poller.register(0, select.POLLIN)
while True:
    for fd, _ in poller.poll():
        if fd != 0:                      # that sandbox has ended
            poller.unregister(fd); watched.discard(fd); os.close(fd)
            continue
        try:
            msg, fds, _, _ = socket.recv_fds(sock, 16, 16)
        except OSError:
            msg, fds = b"", []
        for pidfd in fds:
            watched.add(pidfd); poller.register(pidfd, select.POLLIN)
        if not msg:                      # the runner has gone: its sandboxes go with it
            for pidfd in watched:
                try:
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                except OSError:
                    pass
            sys.exit(0)
"""

_lock = threading.Lock()
_helper: dict[str, object] = {}


def watch(pid: int) -> None:
    """Have the helper SIGKILL ``pid`` (a sandbox's init, alive) should this process die before
    it ends. OSError when no helper can be had."""
    pidfd = os.pidfd_open(pid)
    try:
        for restart in (False, True):
            sock = _socket(restart)
            try:
                socket.send_fds(sock, [b"w"], [pidfd])
                return
            except OSError:
                continue
        raise OSError("the sandbox reaper does not answer")
    finally:
        os.close(pidfd)


def _socket(restart: bool) -> socket.socket:
    with _lock:
        if restart or _helper.get("pid") != os.getpid():   # a forked child starts its own
            old = _helper.get("sock")
            if restart and old is not None:
                old.close()
            _helper.update(sock=_start(), pid=os.getpid())
        return _helper["sock"]  # type: ignore[return-value]


def _start() -> socket.socket:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        proc = subprocess.Popen([host.real_python(), "-I", "-S", "-c", HELPER], stdin=theirs,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError:
        ours.close()
        raise
    finally:
        theirs.close()
    _helper["proc"] = proc    # kept: reaped by Popen's bookkeeping, never waited for here
    return ours
