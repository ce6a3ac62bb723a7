"""Host-side file access inside folders that lab code or a learner controls.

Every open is relative to a directory descriptor and never follows a symlink (O_NOFOLLOW),
reads are bounded and refuse anything but a regular file, and writes go to a fresh temp file
(O_EXCL: a planted name is never reused) that is then renamed over the target: a rename
replaces a planted link instead of writing through it, and a reader sees the old file or the
new one, never half of one. The grader's report writers use the same helpers.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path

NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | NOFOLLOW | os.O_CLOEXEC
TEMP_PREFIX = ".tmp-"
# How deep a JSON document the host accepts (metrics.json, run.json read back): the parser's own
# limit is the recursion limit (~1000), far more than dataclasses.asdict and friends survive.
JSON_MAX_DEPTH = 32


class UnsafeFile(OSError):
    """A symlink, a special file or an over-sized file where a regular file was expected."""


def open_dir(path: Path | str, *, create: bool = False, mode: int = 0o755) -> int:
    """A descriptor for the directory ``path`` itself; a symlink in its last component is refused."""
    path = os.fspath(path)
    if create:
        try:
            os.mkdir(path, mode)
        except FileExistsError:
            pass
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | NOFOLLOW)
    except OSError as exc:
        if os.path.islink(path):
            raise UnsafeFile(f"{path} is a symlink; not following it") from exc
        raise


def open_subdir(dir_fd: int, name: str, *, create: bool = False, mode: int = 0o755) -> int:
    """open_dir relative to dir_fd: the folder ``name`` itself, never a link planted there."""
    if create:
        try:
            os.mkdir(name, mode, dir_fd=dir_fd)
        except FileExistsError:
            pass
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise UnsafeFile(f"{name} is a symlink or not a folder; not following it") from exc
        raise


def make_subdir(dir_fd: int, name: str, mode: int = 0o755) -> int:
    """A new folder ``name`` in dir_fd (FileExistsError if the name is taken) and its descriptor,
    which the caller keeps for as long as it writes there: when dir_fd is a folder others may
    write (a learner's runs/), they can rename the new folder away or put theirs at its name, and
    only the descriptor still means the folder this process made (checked: a folder of ours)."""
    os.mkdir(name, mode, dir_fd=dir_fd)
    fd = open_subdir(dir_fd, name)
    info = os.fstat(fd)
    if info.st_uid != os.geteuid():
        os.close(fd)
        raise UnsafeFile(f"{name} was replaced by someone else's folder as it was made")
    return fd


def read_capped(dir_fd: int, name: str, cap: int) -> tuple[bytes, bool]:
    """At most ``cap`` bytes of the regular file ``name`` in dir_fd; True when it was longer."""
    try:
        fd = os.open(name, os.O_RDONLY | NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (40, 20):  # ELOOP: a symlink; ENOTDIR
            raise UnsafeFile(f"{name} is a symlink (not followed)") from exc
        raise
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise UnsafeFile(f"{name} is not a regular file")
        data = handle.read(cap + 1)
    return data[:cap], len(data) > cap


def write_atomic(dir_fd: int, name: str, data: bytes, mode: int = 0o644, durable: bool = True) -> None:
    """Replace ``name`` in dir_fd with ``data``: old content or new, never a link followed.
    ``durable``: fsync before the rename, so that even a power cut leaves old or new (a killed
    process needs no fsync: the page cache outlives it); without it, a power cut may leave an
    empty file."""
    tmp = f"{TEMP_PREFIX}{name}-{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, mode, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)  # the umask must not make report files differ
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise


def remove_stale_temps(dir_fd: int, names: tuple[str, ...] = (TEMP_PREFIX,)) -> int:
    """Delete temp files a killed writer left behind (unlink never follows a link)."""
    removed = 0
    for entry in os.scandir(dir_fd):
        if entry.name.startswith(names) and not entry.is_dir(follow_symlinks=False):
            try:
                os.unlink(entry.name, dir_fd=dir_fd)
                removed += 1
            except OSError:
                pass
    return removed


def write_in(folder: Path | str, name: str, data: bytes, mode: int = 0o644, durable: bool = True,
             dir_fd: int | None = None) -> Path:
    """write_atomic for a folder given by path (its last component must not be a link), or, with
    ``dir_fd``, into that descriptor's folder: ``folder`` is then only the name returned (a folder
    others can rename or replace is written through the descriptor its maker kept)."""
    if dir_fd is not None:
        write_atomic(dir_fd, name, data, mode, durable)
        return Path(folder) / name
    fd = open_dir(folder)
    try:
        write_atomic(fd, name, data, mode, durable)
    finally:
        os.close(fd)
    return Path(folder) / name


def load_json(data: bytes, max_depth: int = JSON_MAX_DEPTH) -> tuple[object, str]:
    """(value, "") or (None, one-line reason). Nesting is bounded twice: by the parser's recursion
    limit (a 100k-level document is refused in microseconds, never a traceback), then to
    ``max_depth`` levels, checked without recursion (a 600-level value parses, but every later
    deep copy of it, such as dataclasses.asdict of a record holding it, would raise RecursionError)."""
    import json

    try:
        value = json.loads(data.decode("utf-8"))
        if json_depth(value, max_depth) > max_depth:
            return None, f"nested deeper than {max_depth} levels"
        return value, ""
    except RecursionError:
        return None, "nested too deeply to parse"
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 (byte {exc.start})"
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})"


def json_depth(value: object, limit: int) -> int:
    """How many levels of lists and objects ``value`` nests (0 for a scalar), counted up to
    limit + 1 at most, iteratively."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth) for child in children)
    return deepest
