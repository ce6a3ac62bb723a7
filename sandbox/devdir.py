"""A ready-made /dev for CPU sandboxes: one bind instead of bubblewrap's `--dev` (~1 ms a run).

`--dev` mounts a tmpfs, then binds null, zero, full, random, urandom and tty from the host one by
one (each bind makes bubblewrap read and parse the whole mount table again) and mounts a devpts.
Here the runner makes those nodes once per process, as root, in a folder of its own, and each run
binds that folder at /dev. The sandbox sees the same nodes, `fd`/`std*` links and `shm` (a
tmpfs of the run's own, mounted over it by bubblewrap); it has no `/dev/pts`: a lab cannot open a
pseudo-terminal (`os.openpty`, `pty`, `pexpect`), which no lab of the course needs.

The folder is the host's, so it must never hold anything but those nodes: it is made by root
with mkdtemp (0700, a fresh name) and only its `dev` (0755, root's) is shown; the lab's uid cannot
write it, and bubblewrap makes no mount point in it because nothing but `/dev/shm` is mounted
below /dev (GPU runs, which bind device nodes there, keep `--dev`). It carries a lock
(sandbox/locked_dirs.py) so that a SIGKILLed runner's folder is removed by a later one.
Where nodes cannot be made or opened (not root, a `nodev` temp filesystem), runs keep `--dev`.
"""

from __future__ import annotations

import atexit
import os
import stat
import tempfile
import threading

from sandbox import locked_dirs

PREFIX = "tutor-sandbox-dev-"
NODES = ("null", "zero", "full", "random", "urandom", "tty")
LINKS = (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
         ("stderr", "/proc/self/fd/2"), ("core", "/proc/kcore"))
DIRS = ("shm",)

_lock = threading.Lock()
_state: dict[str, object] = {}


def path() -> str | None:
    """The folder each CPU run binds at /dev, made on first use; None: runs use `--dev`."""
    with _lock:
        made = _state.get("path")
        # Made again in a forked child (the parent removes its own at exit) and should a temp
        # cleaner have removed it under a long-lived runner (a stat, ~2 us).
        if "path" not in _state or _state.get("pid") != os.getpid() or (made and not os.path.isdir(made)):
            _state["path"], _state["problem"] = _make()
            _state["pid"] = os.getpid()
        return _state["path"]  # type: ignore[return-value]


def problem() -> str | None:
    path()
    return _state.get("problem")  # type: ignore[return-value]


def _make() -> tuple[str | None, str | None]:
    if os.environ.get("SANDBOX_DEV_NODES") == "bwrap":
        return None, "turned off (SANDBOX_DEV_NODES=bwrap)"
    if os.geteuid() != 0:
        return None, "the runner is not root (no device nodes of its own)"
    why = "no temp folder"
    for parent in candidate_parents():
        try:
            locked_dirs.sweep_now_and_then(parent, PREFIX)
            root, lock_fd = locked_dirs.make(PREFIX, parent)
        except OSError as exc:
            why = f"{parent}: {exc.strerror or exc}"
            continue
        try:
            dev = _fill(str(root))
        except OSError as exc:
            locked_dirs.release(root, lock_fd)
            why = f"{parent}: {exc.strerror or exc}"   # nodev mounts refuse to open the nodes
            continue
        atexit.register(_release, os.getpid(), root, lock_fd)
        return dev, None
    return None, f"device nodes cannot be used here ({why})"


def _release(owner: int, root, lock_fd: int) -> None:
    """At exit, in the process that made the folder only (not in a forked child)."""
    if os.getpid() == owner:
        locked_dirs.release(root, lock_fd)


def candidate_parents() -> list[str]:
    """Where the folder may go: the temp folder, else /var/tmp (a tmpfs /tmp is often nodev)."""
    return list(dict.fromkeys([tempfile.gettempdir(), "/var/tmp"]))


def _fill(root: str) -> str:
    dev = os.path.join(root, "dev")
    os.mkdir(dev, 0o700)
    for name in NODES:
        host = os.stat(f"/dev/{name}")
        if not stat.S_ISCHR(host.st_mode):
            raise OSError(f"/dev/{name} is not a character device")
        os.mknod(os.path.join(dev, name), stat.S_IFCHR | 0o600, host.st_rdev)
        os.chmod(os.path.join(dev, name), stat.S_IMODE(host.st_mode))
    for name, target in LINKS:
        os.symlink(target, os.path.join(dev, name))
    for name in DIRS:
        os.mkdir(os.path.join(dev, name), 0o755)
    fd = os.open(os.path.join(dev, "null"), os.O_WRONLY | os.O_NOFOLLOW)   # EACCES on a nodev mount
    os.close(fd)
    os.chmod(dev, 0o755)   # shown only now that it holds exactly what it should
    return dev
