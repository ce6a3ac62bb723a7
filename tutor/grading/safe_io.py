"""Reading a learner's folder without trusting it.

Every path is examined with ``lstat`` and symlinks are never followed (a link to
/etc/passwd or out of the folder is reported and skipped); every read is bounded, so a
50 MB log costs at most the cap; text is decoded strictly so that a binary or non-UTF-8
notes file is reported instead of graded as garbage.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

TEXT_CAP = 256 * 1024          # notes.md, starter.py: more than any honest hand-in
JSON_CAP = 1024 * 1024         # one config.json / metrics.json
HASH_CAP = 4 * 1024 * 1024     # bytes of one file that enter the content hash
MAX_FILES = 5000               # files walked in one submission
MAX_DEPTH = 6


class UnsafePath(Exception):
    """A path that is a symlink, outside the folder, or not a regular file."""


@dataclass(frozen=True)
class TextRead:
    text: str
    truncated: bool = False
    error: str = ""            # non-empty when the bytes could not be decoded as UTF-8


def inside(root: Path, relative: str) -> Path:
    """``root/relative`` with every component checked: no '..', no symlinks on the way."""
    parts = Path(relative).parts
    if Path(relative).is_absolute() or ".." in parts:
        raise UnsafePath(f"{relative}: path leaves the submission folder")
    current = root
    for part in parts:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            raise
        if stat.S_ISLNK(info.st_mode):
            raise UnsafePath(f"{relative}: is a symlink (not followed)")
    return current


def regular_file(path: Path) -> os.stat_result:
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise UnsafePath(f"{path.name}: is a symlink (not followed)")
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePath(f"{path.name}: is not a regular file")
    return info


def read_bytes(path: Path, cap: int) -> tuple[bytes, bool]:
    """At most ``cap`` bytes; True when the file was longer. Opened with O_NOFOLLOW."""
    regular_file(path)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, flags)
    try:
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(cap + 1)
    except Exception:
        raise
    return data[:cap], len(data) > cap


def read_text(path: Path, cap: int = TEXT_CAP) -> TextRead:
    data, truncated = read_bytes(path, cap)
    if b"\x00" in data[:8192]:
        return TextRead("", truncated, "looks binary (NUL bytes), not UTF-8 text")
    try:
        # A cap can cut a multi-byte character in half; that is not the learner's fault.
        text = data.decode("utf-8") if not truncated else data.decode("utf-8", errors="ignore")
    except UnicodeDecodeError as exc:
        return TextRead("", truncated, f"not UTF-8 text (byte {exc.start}: {exc.reason})")
    return TextRead(text, truncated)


@dataclass
class Walk:
    files: list[str]           # relative POSIX paths of regular files, sorted
    skipped: list[str]         # "path: why" for symlinks, specials, overflow


def walk(root: Path, *, skip_dirs: tuple[str, ...] = ("grading", ".git", "__pycache__")) -> Walk:
    """Regular files under root, never entering symlinked directories."""
    files: list[str] = []
    skipped: list[str] = []
    stack: list[tuple[Path, int]] = [(root, 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(f"{folder.relative_to(root).as_posix() or '.'}: unreadable ({exc.strerror})")
            continue
        for entry in entries:
            rel = Path(entry.path).relative_to(root).as_posix()
            if entry.is_symlink():
                skipped.append(f"{rel}: symlink to {_link_target(entry.path)} (not followed)")
            elif entry.is_dir(follow_symlinks=False):
                if depth == 0 and entry.name in skip_dirs or entry.name in (".git", "__pycache__"):
                    continue
                if depth + 1 > MAX_DEPTH:
                    skipped.append(f"{rel}: deeper than {MAX_DEPTH} levels (not read)")
                else:
                    stack.append((Path(entry.path), depth + 1))
            elif entry.is_file(follow_symlinks=False):
                if len(files) >= MAX_FILES:
                    skipped.append(f"{rel}: more than {MAX_FILES} files (not read)")
                else:
                    files.append(rel)
            else:
                skipped.append(f"{rel}: not a regular file (skipped)")
    files.sort()
    return Walk(files, skipped)


def _link_target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def content_hash(root: Path, files: list[str]) -> str:
    """sha256 over (path, size, first HASH_CAP bytes) of every file: any edit changes it."""
    digest = hashlib.sha256()
    for rel in files:
        path = root / rel
        try:
            size = os.lstat(path).st_size
            data, _ = read_bytes(path, HASH_CAP)
        except (OSError, UnsafePath):
            continue
        digest.update(rel.encode() + b"\0" + str(size).encode() + b"\0")
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()
