"""Reading a learner's folder without trusting it.

Nothing inside the folder is opened by path. The folder is opened once as a directory
descriptor, and each component below it with openat(O_NOFOLLOW | O_DIRECTORY); files are opened
relative to their parent's descriptor with O_NOFOLLOW | O_NONBLOCK (a FIFO never blocks) and
checked with fstat (regular files only). A learner who swaps a folder for a symlink while the
grader reads it therefore gets an error, never a file from outside (a link to /etc/passwd or
out of the folder is reported and skipped). Every read and every listing is bounded, so a
50 MB log costs at most the cap; text is decoded strictly so that a binary or non-UTF-8 notes
file is reported instead of graded as garbage.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Iterator, NamedTuple

from sandbox import fdtree, safe_files

TEXT_CAP = 256 * 1024          # notes.md, starter.py: more than any honest hand-in
JSON_CAP = 1024 * 1024         # one config.json / metrics.json
HASH_CAP = 4 * 1024 * 1024     # bytes of one file that enter the content hash
HASH_TOTAL_CAP = 64 * 2**20    # bytes of all files together; later files enter by path and size
MAX_FILES = 5000               # files walked in one submission
MAX_DEPTH = 6
MAX_LISTED = 50_000            # directory entries one walk lists, all its folders together

DIR_FLAGS = safe_files.DIR_FLAGS
FILE_FLAGS = os.O_RDONLY | safe_files.NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)


class UnsafePath(Exception):
    """A path that is a symlink, outside the folder, or not a regular file."""


@dataclass(frozen=True)
class TextRead:
    text: str
    truncated: bool = False
    error: str = ""            # non-empty when the bytes could not be decoded as UTF-8


class At(NamedTuple):
    """The entry ``name`` of the open directory ``dir_fd``; ``label`` names it in messages."""
    dir_fd: int
    name: str
    label: str


# -- descriptors -----------------------------------------------------------------------------
def parts_of(relative: str) -> tuple[str, ...]:
    path = Path(relative)
    if path.is_absolute() or ".." in path.parts:
        raise UnsafePath(f"{relative}: path leaves the submission folder")
    return path.parts


def open_root(path: Path | str, identity: tuple[int, int] | None = None) -> int:
    """A descriptor of the folder ``path`` (a symlink there is refused). ``identity``: the
    (st_dev, st_ino) it had when first opened; a folder replaced since is refused."""
    name = Path(path).name
    try:
        fd = safe_files.open_dir(path)
    except safe_files.UnsafeFile:
        raise UnsafePath(f"{name}: is a symlink (not followed)") from None
    except NotADirectoryError:
        raise UnsafePath(f"{name}: is not a folder") from None
    if identity is not None and identity_of(fd) != identity:
        os.close(fd)
        raise UnsafePath(f"{name}: the folder was replaced while it was being graded")
    return fd


def identity_of(fd: int) -> tuple[int, int]:
    info = os.fstat(fd)
    return info.st_dev, info.st_ino


@contextlib.contextmanager
def opened_root(path: Path | str, identity: tuple[int, int] | None = None) -> Iterator[int]:
    fd = open_root(path, identity)
    try:
        yield fd
    finally:
        os.close(fd)


def _why_not(dir_fd: int, name: str, label: str, wanted: str) -> str:
    try:
        info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError:
        return f"{label}: changed while it was being read"
    if stat.S_ISLNK(info.st_mode):
        return f"{label}: is a symlink (not followed)"
    return f"{label}: is not a {wanted}"


def open_subdir(dir_fd: int, name: str, label: str) -> int:
    """openat(dir_fd, name, O_DIRECTORY | O_NOFOLLOW): UnsafePath for a symlink or a non-folder."""
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ELOOP):
            raise UnsafePath(_why_not(dir_fd, name, label, "folder")) from None
        raise


def open_file(dir_fd: int, name: str, label: str) -> tuple[int, os.stat_result]:
    """(descriptor, fstat) of the regular file ``name`` in dir_fd; UnsafePath for anything else."""
    try:
        fd = os.open(name, FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(f"{label}: is a symlink (not followed)") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafePath(f"{label}: is not a regular file")
    return fd, info


def open_parent(root_fd: int, relative: str) -> tuple[int, str]:
    """(a new descriptor of the folder holding ``relative``, its last component); every folder
    on the way is opened with O_NOFOLLOW relative to the one before. The caller closes it."""
    parts = parts_of(relative)
    if not parts:
        raise UnsafePath(f"{relative}: is not a file")
    fd = os.dup(root_fd)
    try:
        for i, part in enumerate(parts[:-1]):
            deeper = open_subdir(fd, part, "/".join(parts[: i + 1]))
            os.close(fd)
            fd = deeper
    except BaseException:
        os.close(fd)
        raise
    return fd, parts[-1]


def list_names(dir_fd: int, limit: int) -> tuple[list[str], bool]:
    """At most ``limit`` names of dir_fd, sorted; True when there were more."""
    with os.scandir(dir_fd) as entries:
        names = [entry.name for entry in islice(entries, limit + 1)]
    return sorted(names[:limit]), len(names) > limit


# -- paths (for callers that hold a path, not a descriptor) ----------------------------------
def inside(root: Path, relative: str) -> Path:
    """``root/relative`` with every component checked: no '..', no symlinks on the way."""
    parts = parts_of(relative)
    if not parts:
        return root
    with opened_root(root) as root_fd:
        parent, name = open_parent(root_fd, relative)
        try:
            info = os.stat(name, dir_fd=parent, follow_symlinks=False)
        finally:
            os.close(parent)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePath(f"{relative}: is a symlink (not followed)")
    return root.joinpath(*parts)


def regular_file(path: Path) -> os.stat_result:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePath(f"{path.name}: is a symlink (not followed)")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePath(f"{path.name}: is not a regular file")
    return info


# -- reads -----------------------------------------------------------------------------------
def read_bytes(where: Path | At, cap: int) -> tuple[bytes, bool]:
    """At most ``cap`` bytes; True when the file was longer. Every read of a learner's file
    goes through here. ``where``: an At (the safe form), or a path whose folders the caller
    vouches for (its last component is opened with O_NOFOLLOW relative to its folder)."""
    if isinstance(where, At):
        fd, _ = open_file(where.dir_fd, where.name, where.label)
    else:
        path = Path(where)
        folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fd, _ = open_file(folder, path.name, path.name)
        finally:
            os.close(folder)
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(cap + 1)
    return data[:cap], len(data) > cap


def read_in(root_fd: int, relative: str, cap: int) -> tuple[bytes, bool]:
    """read_bytes of ``relative`` under the open folder root_fd, no link followed on the way."""
    parent, name = open_parent(root_fd, relative)
    try:
        return read_bytes(At(parent, name, relative), cap)
    finally:
        os.close(parent)


def read_text(where: Path | At, cap: int = TEXT_CAP) -> TextRead:
    return decode(*read_bytes(where, cap))


def read_text_in(root_fd: int, relative: str, cap: int = TEXT_CAP) -> TextRead:
    return decode(*read_in(root_fd, relative, cap))


def decode(data: bytes, truncated: bool) -> TextRead:
    if b"\x00" in data[:8192]:
        return TextRead("", truncated, "looks binary (NUL bytes), not UTF-8 text")
    try:
        # A cap can cut a multi-byte character in half; that is not the learner's fault.
        text = data.decode("utf-8") if not truncated else data.decode("utf-8", errors="ignore")
    except UnicodeDecodeError as exc:
        return TextRead("", truncated, f"not UTF-8 text (byte {exc.start}: {exc.reason})")
    return TextRead(text, truncated)


# -- listing ---------------------------------------------------------------------------------
@dataclass
class Walk:
    files: list[str]           # relative POSIX paths of regular files, sorted
    skipped: list[str]         # "path: why" for symlinks, specials, overflow


def walk(root: Path | int, *, skip_dirs: tuple[str, ...] = ("grading", ".git", "__pycache__")) -> Walk:
    """Regular files under root (a path or an open folder), never entering symlinked folders:
    each folder is reopened from root component by component with O_NOFOLLOW."""
    if not isinstance(root, int):
        with opened_root(root) as fd:
            return walk(fd, skip_dirs=skip_dirs)
    files: list[str] = []
    skipped: list[str] = []
    budget = MAX_LISTED
    stack: list[tuple[str, ...]] = [()]
    while stack:
        parts = stack.pop()
        where = "/".join(parts) or "."
        if budget <= 0:
            skipped.append(f"{where}: more than {MAX_LISTED} entries in the folder (not listed)")
            continue
        try:
            folder = _reopen(root, parts)
        except (OSError, UnsafePath) as exc:
            skipped.append(f"{where}: unreadable ({getattr(exc, 'strerror', None) or exc})")
            continue
        try:
            names, more = list_names(folder, budget)
            budget -= len(names)
            if more:
                skipped.append(f"{where}: more than {MAX_LISTED} entries in the folder (the rest not listed)")
            for name in names:
                _sort_entry(folder, name, parts, files, skipped, stack, skip_dirs)
        finally:
            os.close(folder)
    files.sort()
    return Walk(files, skipped)


def _reopen(root_fd: int, parts: tuple[str, ...]) -> int:
    fd = os.dup(root_fd)
    for i, part in enumerate(parts):
        try:
            deeper = open_subdir(fd, part, "/".join(parts[: i + 1]))
        finally:
            os.close(fd)
        fd = deeper
    return fd


def _sort_entry(folder: int, name: str, parts, files, skipped, stack, skip_dirs) -> None:
    rel = "/".join((*parts, name))
    depth = len(parts)
    try:
        mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
    except OSError:
        return  # gone since it was listed
    if stat.S_ISLNK(mode):
        skipped.append(f"{rel}: symlink to {_link_target(folder, name)} (not followed)")
    elif stat.S_ISDIR(mode):
        if depth == 0 and name in skip_dirs or name in (".git", "__pycache__"):
            return
        if depth + 1 > MAX_DEPTH:
            skipped.append(f"{rel}: deeper than {MAX_DEPTH} levels (not read)")
        else:
            stack.append((*parts, name))
    elif stat.S_ISREG(mode):
        if len(files) >= MAX_FILES:
            skipped.append(f"{rel}: more than {MAX_FILES} files (not read)")
        else:
            files.append(rel)
    else:
        skipped.append(f"{rel}: not a regular file (skipped)")


def _link_target(folder: int, name: str) -> str:
    try:
        return os.readlink(name, dir_fd=folder)
    except OSError:
        return "?"


def content_hash(root: Path, files: list[str]) -> str:
    """sha256 over (path, size, first HASH_CAP bytes) of every file: any edit changes it. Past
    HASH_TOTAL_CAP bytes in all, a file enters by path and size only (a bounded cost)."""
    digest = hashlib.sha256()
    budget = HASH_TOTAL_CAP
    try:
        root_fd = open_root(root)
    except (OSError, UnsafePath):
        return digest.hexdigest()
    try:
        for rel in files:
            try:
                parent, name = open_parent(root_fd, rel)
            except (OSError, UnsafePath):
                continue
            try:
                size = os.stat(name, dir_fd=parent, follow_symlinks=False).st_size
                data, _ = read_bytes(At(parent, name, rel), min(HASH_CAP, budget)) if budget > 0 else (None, 0)
            except (OSError, UnsafePath):
                continue
            finally:
                os.close(parent)
            digest.update(rel.encode() + b"\0" + str(size).encode() + b"\0")
            if data is None:
                digest.update(b"\0not read\0")
            else:
                budget -= len(data)
                digest.update(hashlib.sha256(data).digest())
    finally:
        os.close(root_fd)
    return digest.hexdigest()


# -- copying ---------------------------------------------------------------------------------
def copy_tree(source: Path, dest: Path, *, max_bytes: int, skip_top: tuple[str, ...] = (),
              max_depth: int = 32, max_entries: int = 100_000) -> None:
    """Copy the folder ``source`` to the new folder ``dest`` through descriptors only: links
    stay links (never followed), a regular file is copied from the descriptor that fstat
    approved (at most the st_size it gave), FIFOs, sockets and devices are left out, as is
    whatever is swapped for a link meanwhile and anything deeper than max_depth. UnsafePath
    when the files total over max_bytes or there are over max_entries entries."""
    budget = {"bytes": max_bytes, "entries": max_entries, "limits": (max_bytes, max_entries)}
    with opened_root(source) as src:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.mkdir(dest, 0o700)
        with opened_root(dest) as dst:
            _copy_dir(src, dst, 0, skip_top, max_depth, budget)
            os.fchmod(dst, stat.S_IMODE(os.fstat(src).st_mode) & 0o777)


def _copy_dir(src: int, dst: int, depth: int, skip: tuple[str, ...], max_depth: int, budget: dict) -> None:
    names, more = list_names(src, budget["entries"])
    budget["entries"] -= len(names)
    if more:
        raise UnsafePath(f"more than {budget['limits'][1]} files and folders")
    for name in names:
        if name in skip:
            continue
        try:
            mode = os.stat(name, dir_fd=src, follow_symlinks=False).st_mode
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(mode):
            os.symlink(os.readlink(name, dir_fd=src), name, dir_fd=dst)
        elif stat.S_ISDIR(mode) and depth < max_depth:
            try:
                inner = open_subdir(src, name, name)
            except (UnsafePath, FileNotFoundError):
                continue  # swapped or gone since it was listed: left out
            try:
                os.mkdir(name, 0o700, dir_fd=dst)
                copy = open_subdir(dst, name, name)
                try:
                    _copy_dir(inner, copy, depth + 1, (), max_depth, budget)
                    os.fchmod(copy, stat.S_IMODE(os.fstat(inner).st_mode) & 0o777)
                finally:
                    os.close(copy)
            finally:
                os.close(inner)
        elif stat.S_ISREG(mode):
            _copy_file(src, dst, name, budget)


def _copy_file(src: int, dst: int, name: str, budget: dict) -> None:
    try:
        fd, info = open_file(src, name, name)
    except (UnsafePath, FileNotFoundError):
        return
    with os.fdopen(fd, "rb") as reader:
        budget["bytes"] -= info.st_size
        if budget["bytes"] < 0:
            raise UnsafePath(f"over {budget['limits'][0] // 2**20} MiB")
        out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | safe_files.NOFOLLOW, 0o600, dir_fd=dst)
        with os.fdopen(out, "wb") as writer:
            fdtree.copy_bytes(reader.fileno(), writer.fileno(), info.st_size)
            os.fchmod(out, stat.S_IMODE(info.st_mode) & 0o777)
            os.utime(out, ns=(info.st_atime_ns, info.st_mtime_ns))
