"""Scratch folders that outlive a SIGKILL only until someone else sweeps them.

Each folder holds a lock file that its owner keeps flock'ed for the folder's whole life: a
folder whose lock can be taken has no owner any more (a SIGKILLed process cannot clean up), and
a later owner of the same kind removes it. The sandbox's scratch folders (tutor-sandbox-*) and
the checker's staging folders (tutor-check-*) both live by this rule.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sandbox import fdtree

LOCK_NAME = ".runner.lock"
SWEEP_MAX = 4   # abandoned folders removed per sweep: a pile of them costs no one owner much
# A sweep lists the parent (/tmp: ~0.3 ms for 350 entries, ~0.8 ms with 140 folders of owners
# older than the lock): done on a process's first folder of a kind, then at most this often.
SWEEP_EVERY_S = 30.0

_next_sweep: dict[tuple[str, str], float] = {}   # (parent, prefix) -> monotonic time of the next sweep


def make(prefix: str, parent: str) -> tuple[Path, int]:
    """A new folder (mkdtemp: 0700, a fresh name) and the descriptor of its held lock."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    return root, _hold_lock(root)


def release(root: Path, lock_fd: int | None) -> None:
    """Remove the folder, then let go of its lock: no sweeper races the removal."""
    try:
        remove(root)
    finally:
        if lock_fd is not None:
            os.close(lock_fd)


def remove(folder: Path | str) -> bool:
    """Remove a folder of this kind and all in it, at any depth (fdtree: iterative, through
    descriptors, never following a link), its lock file last: a folder that could not be emptied
    keeps its lock file, so that a later sweep still knows it for one of ours. True: all gone."""
    try:
        fd = os.open(folder, fdtree.DIR_FLAGS)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        if not fdtree.remove_contents(fd, keep=frozenset({LOCK_NAME})):
            return False
        os.unlink(LOCK_NAME, dir_fd=fd)
    except FileNotFoundError:
        pass
    except (OSError, RecursionError):
        return False
    finally:
        os.close(fd)
    try:
        os.rmdir(folder)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def held(prefix: str, parent: str | None = None) -> Iterator[Path]:
    """A locked folder for the block's length (what tempfile.TemporaryDirectory gives, plus the
    lock), after sweeping abandoned folders of the same prefix now and then."""
    parent = parent or tempfile.gettempdir()
    sweep_now_and_then(parent, prefix)
    root, lock_fd = make(prefix, parent)
    try:
        yield root
    finally:
        release(root, lock_fd)


def _hold_lock(root: Path) -> int:
    """Lock a new file, then give it the name sweepers look for: no sweeper ever sees the lock
    file unlocked while its owner lives."""
    fd = os.open(root / (LOCK_NAME + ".new"), os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(root / (LOCK_NAME + ".new"), root / LOCK_NAME)
    return fd


def sweep_now_and_then(parent: str, prefix: str, mounts: tuple[str, ...] = ("",)) -> list[str]:
    now = time.monotonic()
    if now < _next_sweep.get((parent, prefix), 0.0):
        return []
    _next_sweep[(parent, prefix)] = now + SWEEP_EVERY_S
    return sweep_abandoned(parent, prefix, mounts=mounts)


def sweep_abandoned(parent, prefix: str, limit: int = SWEEP_MAX, mounts: tuple[str, ...] = ("",)) -> list[str]:
    """Remove up to `limit` folders `prefix`* under `parent` whose owner is provably gone: a real
    directory of ours (never a link) holding a lock file of ours that nobody holds, and no mount
    on it or on any of `mounts` inside it. A folder without a lock file is left alone: its owner
    may be between mkdtemp and taking the lock, or be older than the lock."""
    removed: list[str] = []
    try:
        entries = [e for e in os.scandir(parent) if e.name.startswith(prefix) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return removed
    for entry in entries:
        if len(removed) >= limit:
            break
        lock_fd = _abandoned_lock(entry.path)
        if lock_fd is None:
            continue
        try:
            if not any(os.path.ismount(os.path.join(entry.path, sub)) for sub in mounts) and remove(entry.path):
                removed.append(entry.name)
        finally:
            os.close(lock_fd)
    return removed


def _abandoned_lock(folder: str) -> int | None:
    """The folder's lock, taken, when it is ours and no owner holds it; else None."""
    try:  # the lock's own name is never followed; rmtree re-checks the folder itself
        fd = os.open(os.path.join(folder, LOCK_NAME), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        if os.fstat(fd).st_uid == os.geteuid() == os.lstat(folder).st_uid:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
    except OSError:
        pass   # a live owner holds it (or the folder went meanwhile)
    os.close(fd)
    return None
