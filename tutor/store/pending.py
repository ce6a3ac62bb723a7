"""Records kept on this machine while the progress database is away: one JSONL file per learner
and database under ``TUTOR_HOME/pending/`` (mode 0600, each line fsync'd before the learner is told it is
kept), sent again by the store on its next successful write (tutor.store.keeping).

Each line is one write: ``{"table": ..., "values": {...}, "lesson": ..., "start": ...,
"queued_at": ...}``, the row values carrying their origin (tutor.store.origin), so a line
sent twice is written once. A file is at most ``MAX_BYTES``; a record that does not fit is
refused (the caller says it was not kept). Files are opened without following links, and a
line that cannot be read back is moved to the learner's ``.conflicts.jsonl`` file, never
dropped. The file is emptied, not removed, once sent: another process may be about to append.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import stat
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

MAX_BYTES = 8 * 1024 * 1024  # per learner: thousands of turns
_FLAGS = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class QueueFull(Exception):
    """The learner's queue file has no room for this record."""


def file_name(learner_id: str, database: str = "") -> str:
    """A safe file name for any learner id and database: a readable part and a hash of both
    (records kept for one database are never sent to another: a push target, a new URL)."""
    readable = re.sub(r"[^A-Za-z0-9_-]", "_", learner_id)[:40] or "learner"
    digest = hashlib.sha256(f"{database}\0{learner_id}".encode()).hexdigest()[:16]
    return f"{readable}-{digest}.jsonl"


class PendingQueue:
    def __init__(self, folder: Path | str, learner_id: str, database: str = ""):
        self.folder = Path(folder)
        self.learner_id = learner_id
        self.database = database  # the database the records are for, password masked
        self.path = self.folder / file_name(learner_id, database)
        self.conflicts_path = self.path.with_suffix(".conflicts.jsonl")

    def waiting(self) -> bool:
        """True when records wait to be sent (one stat call: the hot path asks every turn)."""
        try:
            found = self.path.lstat()
        except OSError:
            return False
        return stat.S_ISREG(found.st_mode) and found.st_size > 0  # a link is never read (nor written)

    @contextmanager
    def _locked(self, flags: int) -> Iterator[int]:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, flags | _FLAGS, 0o600)
        try:
            os.fchmod(fd, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield fd
        finally:
            os.close(fd)  # releases the lock

    def append(self, entry: dict) -> None:
        """Keep one record; on disk (fsync'd) when this returns. Raises QueueFull or OSError."""
        line = (json.dumps({**entry, "learner": self.learner_id, "database": self.database,
                            "queued_at": datetime.now(timezone.utc).isoformat()}) + "\n").encode()
        with self._locked(os.O_WRONLY | os.O_APPEND | os.O_CREAT) as fd:
            if os.fstat(fd).st_size + len(line) > MAX_BYTES:
                raise QueueFull(f"{self.path} is full ({MAX_BYTES // (1024 * 1024)} MiB)")
            os.write(fd, line)
            os.fsync(fd)
        _sync_folder(self.folder)

    def entries(self) -> list[dict]:
        """What waits, oldest first (for tests and `tutor doctor`)."""
        if not self.waiting():
            return []
        with self._locked(os.O_RDONLY) as fd:
            return [e for e in (_parse(line) for line in _read(fd).splitlines()) if e is not None]

    def drain(self, send: Callable[[dict], None], stop: tuple[type[BaseException], ...]) -> tuple[int, int]:
        """Send each waiting record, oldest first, with ``send``; a record whose send raises one
        of ``stop`` ends the round and stays, with everything after it. Returns (sent, left)."""
        if not self.waiting():
            return 0, 0
        with self._locked(os.O_RDWR) as fd:
            lines = [line for line in _read(fd).splitlines() if line.strip()]
            sent = 0
            for line in lines:
                entry = _parse(line)
                if entry is None or entry.get("learner") != self.learner_id or \
                        entry.get("database", self.database) != self.database:
                    self.set_aside(line, "unreadable or not this learner's")
                else:
                    try:
                        send(entry)
                    except stop:
                        break
                sent += 1
            left = lines[sent:]
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            if left:
                os.write(fd, "".join(line + "\n" for line in left).encode())
            os.fsync(fd)
        return sent, len(left)

    def set_aside(self, line: str | dict, why: str) -> None:
        """A record the database will not take as it is: kept in the conflicts file, with why."""
        record = line if isinstance(line, dict) else {"line": line[:100_000]}
        fd = os.open(self.conflicts_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _FLAGS, 0o600)
        try:
            os.write(fd, (json.dumps({**record, "set_aside_because": why}) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)


def waiting_summary(folder: Path) -> tuple[int, int]:
    """(records waiting, records set aside) over every learner's files in ``folder``; links and
    anything that is not a plain file are not read."""
    counts = [0, 0]
    try:
        names = sorted(os.listdir(folder))[:10_000]
    except OSError:
        return 0, 0
    for name in names:
        if not name.endswith(".jsonl"):
            continue
        try:
            fd = os.open(folder / name, os.O_RDONLY | _FLAGS)
        except OSError:
            continue
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                counts[name.endswith(".conflicts.jsonl")] += sum(1 for line in _read(fd).splitlines() if line.strip())
        finally:
            os.close(fd)
    return counts[0], counts[1]


def _read(fd: int) -> str:
    data = b""
    while len(data) <= MAX_BYTES:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        data += chunk
    return data[:MAX_BYTES].decode("utf-8", errors="replace")


def _parse(line: str) -> dict | None:
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and isinstance(entry.get("values"), dict) else None


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
