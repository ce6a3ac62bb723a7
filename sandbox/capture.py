"""Capture a stream into a log file with a size cap and a visible truncation marker."""

from __future__ import annotations

import codecs
import os
import stat
import threading
from pathlib import Path
from typing import BinaryIO, Callable

OnOutput = Callable[[str, str], None]
TAIL_BYTES = 16384
LOG_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


def marker(kept: int) -> bytes:
    return f"\n[sandbox: output truncated after {kept} bytes; the rest was counted, not kept]\n".encode()


class StreamCapture(threading.Thread):
    """Drains a pipe to the end (so a flood never blocks the lab) and keeps the first `cap` bytes.

    ``preamble``: the exact bytes the launch chain writes before the lab can run (its "ready"
    line); they are read first and not logged, ``ready`` is set once they came (``preamble_seen``)
    or something else did (kept as output: an error of the sandbox itself) or the pipe closed."""

    def __init__(self, name: str, pipe: BinaryIO, log_path: Path, cap: int, on_output: OnOutput | None,
                 preamble: bytes = b"", dir_fd: int | None = None):
        super().__init__(name=f"capture-{name}", daemon=True)
        self.stream_name, self.pipe, self.log_path, self.cap = name, pipe, log_path, cap
        self.on_output = on_output
        self.preamble, self.preamble_seen, self.ready = preamble, False, threading.Event()
        self.total = 0
        self.truncated = False
        self._tail = bytearray()   # the last TAIL_BYTES logged: what classify reads, never the file
        # Chunks may split a UTF-8 character: decode incrementally for the live display.
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._log_fd = _open_log(log_path, dir_fd)   # now: a failure is the caller's, not the thread's

    def tail(self) -> str:
        """The end of what was logged (the capture's own copy: the lab may own the folder the log
        is in, and could have put a FIFO at its name)."""
        return bytes(self._tail).decode("utf-8", "replace")

    def run(self) -> None:
        try:
            self._drain()
        finally:
            self.ready.set()

    def _drain(self) -> None:
        kept = 0
        with os.fdopen(self._log_fd, "wb") as log:
            first = b""
            if self.preamble:
                first = self.pipe.read(len(self.preamble))  # blocks until that many bytes or EOF
                self.preamble_seen = first == self.preamble
                first = b"" if self.preamble_seen else first
                self.ready.set()
            while True:
                chunk = first or (self.pipe.read1(65536) if hasattr(self.pipe, "read1") else self.pipe.read(65536))
                first = b""
                if not chunk:
                    break
                self.total += len(chunk)
                if kept < self.cap:
                    part = chunk[: self.cap - kept]
                    log.write(part)
                    self._keep(part)
                    kept += len(part)
                    if self.on_output:
                        self._emit(self.decoder.decode(part))
                    if kept >= self.cap and len(chunk) > len(part):
                        self._truncate(log, kept)
                elif not self.truncated:
                    self._truncate(log, kept)
        self.pipe.close()

    def _keep(self, data: bytes) -> None:
        self._tail += data
        if len(self._tail) > TAIL_BYTES:
            del self._tail[:-TAIL_BYTES]

    def _truncate(self, log, kept: int) -> None:
        self.truncated = True
        log.write(marker(kept))
        self._keep(marker(kept))
        log.flush()
        if self.on_output:
            self._emit(marker(kept).decode())

    def _emit(self, text: str) -> None:
        try:
            self.on_output(self.stream_name, text)
        except Exception:  # a failing display must not stop the capture
            self.on_output = None


def _open_log(path: Path, dir_fd: int | None) -> int:
    """The log file, never through a link at its name, never a FIFO or device found there;
    relative to dir_fd (the run folder the runner made and holds) when given."""
    fd = os.open(path.name if dir_fd is not None else path, LOG_FLAGS, 0o644, dir_fd=dir_fd)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(f"{path} is not a regular file; not logging into it")
    os.set_blocking(fd, True)
    return fd
