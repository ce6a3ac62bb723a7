"""Walk, copy and remove folder trees through directory descriptors, never by path.

For trees that lab code or a learner controls (the copy into the sandbox, the copy back, the
in-place hand-back, disk accounting, removing a scratch folder): every folder is opened relative
to its parent's descriptor with O_NOFOLLOW, so a link planted anywhere, the top included, is
never followed and a folder renamed meanwhile is still the one listed; every file is opened
O_NOFOLLOW | O_NONBLOCK and must fstat as a regular file (a FIFO never blocks the host), and at
most its fstat size is copied, counted against the budget before a byte is written. Walks are
iterative and stop MAX_DEPTH levels down (Python 3.11's os.walk and shutil.rmtree recurse: a
1000-level tree raised RecursionError); removal has no depth limit at all.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sandbox.safe_files import DIR_FLAGS, NOFOLLOW, UnsafeFile

MAX_DEPTH = 128     # folder levels below the top a walk enters (one descriptor each)
FILE_FLAGS = os.O_RDONLY | NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW | os.O_CLOEXEC


class TooBig(UnsafeFile):
    """A tree over its byte budget (its files' sizes, sparse or not) or nested too deep to copy."""


@dataclass
class Walk:
    """``for fd, rel, dirs, others in Walk(top_fd)``: top-down, like os.walk but on descriptors.
    ``dirs``: names of subfolders (remove some to skip them); ``others``: DirEntry objects of all
    the rest (their stat(follow_symlinks=False) works while fd is open). fd is the walk's own,
    valid until the next step. ``leave(fd, rel, parent_fd)`` runs as a folder is done."""
    top_fd: int
    max_depth: int = MAX_DEPTH
    leave: Callable[[int, tuple[str, ...], int | None], None] | None = None
    too_deep: int = 0     # folders not entered: max_depth levels down
    unopened: int = 0     # folders gone, or swapped for something else, before they were opened

    def __iter__(self) -> Iterator[tuple[int, tuple[str, ...], list[str], list[os.DirEntry]]]:
        stack: list[tuple[int, tuple[str, ...], Iterator[str]]] = []
        fd: int | None = os.dup(self.top_fd)
        rel: tuple[str, ...] = ()
        try:
            while fd is not None or stack:
                if fd is not None:
                    current, fd = fd, None
                    stack.append((current, rel, iter(())))
                    dirs, others = _entries(current)
                    yield current, rel, dirs, others
                    if len(rel) >= self.max_depth:
                        self.too_deep += len(dirs)
                        dirs = []
                    stack[-1] = (current, rel, iter(dirs))
                    continue
                parent, parent_rel, names = stack[-1]
                name = next(names, None)
                if name is None:
                    stack.pop()
                    try:
                        if self.leave:
                            self.leave(parent, parent_rel, stack[-1][0] if stack else None)
                    finally:
                        os.close(parent)
                    continue
                try:
                    fd = os.open(name, DIR_FLAGS, dir_fd=parent)
                except OSError:
                    self.unopened += 1
                    continue
                rel = parent_rel + (name,)
        finally:
            for entry in stack:
                os.close(entry[0])
            if fd is not None:
                os.close(fd)


def _entries(fd: int) -> tuple[list[str], list[os.DirEntry]]:
    """Subfolder names and the other entries, in name order (so that which files a budget
    leaves out does not depend on the filesystem's listing order)."""
    dirs, others = [], []
    with os.scandir(fd) as listing:
        for entry in sorted(listing, key=lambda e: e.name):
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                dirs.append(entry.name)
            else:
                others.append(entry)
    return dirs, others


@dataclass
class Copied:
    files: list[str] = field(default_factory=list)   # paths relative to the top
    bytes: int = 0
    left: int = 0          # files not copied: over the byte or file budget
    too_deep: int = 0      # folders not copied: MAX_DEPTH levels down


def copy_tree(src_fd: int, dst_fd: int, *, max_bytes: int | None = None, max_files: int | None = None,
              links: bool = False, preserve: bool = False, uid: int | None = None,
              skip_top: frozenset[str] = frozenset(), skip_any: frozenset[str] = frozenset(),
              skip_hidden: bool = False, max_file_bytes: int | None = None,
              strict: bool = False, max_depth: int = MAX_DEPTH) -> Copied:
    """Copy the folder src_fd into dst_fd: folders and regular files, and (``links``) symlinks as
    symlinks; never FIFOs, sockets or devices; never over a name already in dst (O_EXCL).
    ``preserve``: the source's permission bits (never set-id) and times, else 0644 / 0755.
    ``uid``: everything made belongs to it. ``skip_hidden``: no name starting with a dot.
    ``max_file_bytes``: a larger file counts as over the budget. ``strict``: TooBig on the first
    file over the budget and on any folder too deep, else those are counted in the result."""
    done = Copied()
    dst_fds: dict[tuple[str, ...], int] = {(): os.dup(dst_fd)}

    def leave(fd: int, rel: tuple[str, ...], _parent: int | None) -> None:
        target = dst_fds.pop(rel, None)
        if target is None:
            return
        try:
            if preserve and rel:
                info = os.fstat(fd)
                os.fchmod(target, stat.S_IMODE(info.st_mode) & 0o777)
                os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(target)

    walk = Walk(src_fd, max_depth, leave)
    try:
        for fd, rel, dirs, others in walk:
            if rel:
                target = _made_dir(dst_fds.get(rel[:-1]), rel[-1], 0o700 if preserve else 0o755, uid)
                if target is None:
                    dirs.clear()
                    done.left += len(others)
                    continue
                dst_fds[rel] = target
            skip = skip_any | (skip_top if not rel else frozenset())
            dirs[:] = [name for name in dirs if name not in skip and not (skip_hidden and name.startswith("."))]
            for entry in others:
                if entry.name in skip or skip_hidden and entry.name.startswith("."):
                    continue
                if not (entry.is_file(follow_symlinks=False) or entry.is_symlink()):
                    continue   # FIFOs, sockets, devices: never opened (an open may block or act)
                if max_files is not None and len(done.files) >= max_files:
                    done.left += 1
                    continue
                room = None if max_bytes is None else max_bytes - done.bytes
                if max_file_bytes is not None:
                    room = max_file_bytes if room is None else min(room, max_file_bytes)
                size = _copy_entry(fd, entry.name, dst_fds[rel], room, links, preserve, uid)
                if size is None:
                    continue
                if size < 0:
                    if strict:
                        raise TooBig(f"the folder holds more than {max_bytes} bytes (files at their full size)")
                    done.left += 1
                    continue
                done.bytes += size
                done.files.append(os.path.join(*rel, entry.name))
            if strict and len(rel) >= max_depth and dirs:
                raise TooBig(f"the folder nests deeper than {max_depth} levels")
    finally:
        for target in dst_fds.values():
            os.close(target)
    done.too_deep = walk.too_deep
    return done


def _made_dir(parent: int | None, name: str, mode: int, uid: int | None) -> int | None:
    if parent is None:
        return None
    try:
        os.mkdir(name, mode, dir_fd=parent)
    except FileExistsError:
        pass
    except OSError:
        return None
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=parent)
    except OSError:
        return None
    if uid is not None:
        os.fchown(fd, uid, uid)
    return fd


def _copy_entry(src_dir: int, name: str, dst_dir: int, room: int | None, links: bool, preserve: bool,
                uid: int | None) -> int | None:
    """Bytes copied; -1: over ``room``; None: not a file to copy (or it changed meanwhile)."""
    try:
        src = os.open(name, FILE_FLAGS, dir_fd=src_dir)
    except OSError as exc:
        if exc.errno == errno.ELOOP and links:
            return _copy_link(src_dir, name, dst_dir, uid)
        return None
    try:
        info = os.fstat(src)
        if not stat.S_ISREG(info.st_mode):
            return None
        if room is not None and info.st_size > room:
            return -1
        try:
            dst = os.open(name, NEW_FILE, 0o600, dir_fd=dst_dir)
        except OSError:
            return None   # the name is taken in dst (the runner's own logs and record win)
        try:
            copy_bytes(src, dst, info.st_size)
            if uid is not None:
                os.fchown(dst, uid, uid)
            os.fchmod(dst, stat.S_IMODE(info.st_mode) & 0o777 if preserve else 0o644)
            if preserve:
                os.utime(dst, ns=(info.st_atime_ns, info.st_mtime_ns))
        finally:
            os.close(dst)
        return info.st_size
    finally:
        os.close(src)


def _copy_link(src_dir: int, name: str, dst_dir: int, uid: int | None) -> int | None:
    try:
        target = os.readlink(name, dir_fd=src_dir)
        os.symlink(target, name, dir_fd=dst_dir)
    except OSError:
        return None   # no longer a link, or the name is taken
    if uid is not None:
        os.chown(name, uid, uid, dir_fd=dst_dir, follow_symlinks=False)
    return 0


def copy_bytes(src: int, dst: int, size: int) -> None:
    """At most ``size`` bytes: a file that grows meanwhile is cut at the size that was counted."""
    offset = 0
    while offset < size:
        try:
            sent = os.sendfile(dst, src, offset, min(size - offset, 1 << 30))
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
                raise
            chunk = os.pread(src, min(size - offset, 1 << 20), offset)
            sent = len(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(dst, view):]
        if sent == 0:
            return
        offset += sent


def usage(top_fd: int, max_depth: int = MAX_DEPTH) -> tuple[int, int]:
    """(bytes on disk of everything but folders, folders too deep to look into)."""
    total = 0
    walk = Walk(top_fd, max_depth)
    for _, _, _, others in walk:
        for entry in others:
            try:
                total += entry.stat(follow_symlinks=False).st_blocks * 512
            except OSError:
                pass
    return total, walk.too_deep


def hand_back(top_fd: int, uid: int | None, gid: int | None = None) -> tuple[int, int]:
    """Make the folder top_fd a plain tree of ``uid``'s: every entry that is neither a regular
    file nor a folder (symlinks, FIFOs, sockets, devices) removed, never followed; everything
    else chowned to uid (None: left as it is); folders MAX_DEPTH levels down removed, since no
    walk looks into them. (entries dropped, folders removed for depth)."""
    gid = uid if gid is None else gid
    dropped = deep = 0
    for fd, rel, dirs, others in Walk(top_fd):
        if uid is not None:
            os.fchown(fd, uid, gid)
        for entry in others:
            try:
                if entry.is_file(follow_symlinks=False):
                    if uid is not None:
                        os.chown(entry.name, uid, gid, dir_fd=fd, follow_symlinks=False)
                else:
                    os.unlink(entry.name, dir_fd=fd)
                    dropped += 1
            except FileNotFoundError:
                pass
        if len(rel) >= MAX_DEPTH:
            for name in dirs:
                remove_tree(fd, name)
                deep += 1
            dirs.clear()
    return dropped, deep


def remove_contents(top_fd: int, keep: frozenset[str] = frozenset()) -> bool:
    """Remove everything in the folder top_fd but the names ``keep`` at its top, at any depth;
    True when all of it went. A link is removed, never followed."""
    failed = 0

    def leave(_fd: int, rel: tuple[str, ...], parent: int | None) -> None:
        nonlocal failed
        if parent is not None:
            failed += not _rmdir(parent, rel[-1])

    walk = Walk(top_fd, MAX_DEPTH, leave)
    for fd, rel, dirs, others in walk:
        if not rel:
            dirs[:] = [name for name in dirs if name not in keep]
        for entry in others:
            if rel or entry.name not in keep:
                failed += not _unlink(fd, entry.name)
        if len(rel) >= MAX_DEPTH:
            failed += sum(not _remove_deep(fd, name) for name in dirs)
            dirs.clear()
    return not failed and not walk.unopened


def remove_tree(parent_fd: int, name: str) -> bool:
    """Remove the folder ``name`` in parent_fd and all in it (a link there is not followed)."""
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=parent_fd)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        emptied = remove_contents(fd)
    finally:
        os.close(fd)
    return emptied and _rmdir(parent_fd, name)


def _remove_deep(parent_fd: int, name: str) -> bool:
    """remove_tree for a folder at the walk's depth limit, holding two descriptors whatever its
    depth: each round lifts its grandchildren into it (rename) and removes its emptied children."""
    try:
        top = os.open(name, DIR_FLAGS, dir_fd=parent_fd)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    token, lifted, failed = secrets.token_hex(4), 0, 0
    try:
        while True:
            dirs, others = _entries(top)
            failed += sum(not _unlink(top, entry.name) for entry in others)
            if not dirs:
                break
            progress = False
            for child_name in dirs:
                try:
                    child = os.open(child_name, DIR_FLAGS, dir_fd=top)
                except OSError:
                    continue
                try:
                    grand_dirs, grand_others = _entries(child)
                    for entry in grand_others:
                        _unlink(child, entry.name)
                    for grand in grand_dirs:
                        lifted += 1
                        try:
                            os.rename(grand, f".rm-{token}-{lifted}", src_dir_fd=child, dst_dir_fd=top)
                        except OSError:
                            pass
                finally:
                    os.close(child)
                progress |= _rmdir(top, child_name)
            if not progress:
                return False
    finally:
        os.close(top)
    return not failed and _rmdir(parent_fd, name)


def _unlink(fd: int, name: str) -> bool:
    try:
        os.unlink(name, dir_fd=fd)
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return True


def _rmdir(fd: int, name: str) -> bool:
    try:
        os.rmdir(name, dir_fd=fd)
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return True
