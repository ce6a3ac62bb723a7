"""The learner app's background threads, and stopping them before the process exits.

Python does not wait for daemon threads at exit: it finalises the interpreter under them. A
thread still inside torch, tokenizers or Chroma's native code at that moment aborts the whole
process ("terminate called without an active exception", SIGABRT, exit status 134). So every
background thread of the app starts here, is told to stop when the app quits (between two
embedding batches, through the sandbox runner's stop event), and is joined with a bound.
Whatever is still running past the bound is not waited for: after the app has saved and
restored the terminal, the process leaves with ``os._exit``, which skips the finalisation that
would abort.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time
from typing import Any, Callable

JOIN_S = 20.0  # the longest uninterruptible step is loading the embedding model (seconds)


class BackgroundWork:
    def __init__(self) -> None:
        self.stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self, target: Callable[..., Any], name: str, *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return thread

    def call(self, fn: Callable[..., Any], *args: Any, name: str = "tutor-work") -> asyncio.Future:
        """Run ``fn`` on a thread of this registry and await its result from the event loop
        (``asyncio.to_thread`` would put it on the executor, which exit joins without a bound)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future = loop.create_future()

        def settle(ok: bool, value: Any) -> None:
            if not future.done():
                future.set_result(value) if ok else future.set_exception(value)

        def body() -> None:
            try:
                result, ok = fn(*args), True
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
                result, ok = exc, False
            try:
                loop.call_soon_threadsafe(settle, ok, result)
            except RuntimeError:  # the loop closed: the app is gone, nobody awaits this any more
                pass

        self.start(body, name)
        return future

    def running(self) -> list[str]:
        with self._lock:
            return [t.name for t in self._threads if t.is_alive()]

    def stop_and_join(self, timeout: float = JOIN_S) -> list[str]:
        """Tell every thread to stop and wait for them, at most ``timeout`` seconds in all;
        returns the names of those still running."""
        self.stop.set()
        deadline = time.monotonic() + timeout
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return self.running()


def leave_after_hangup(stop_background: Callable[[], None], save: Callable[[], None],
                       work: BackgroundWork) -> None:
    """SIGHUP: the terminal is gone. Textual's output thread dies on its first failed write and
    the event loop then blocks for good on a full output queue, so the app cannot quit the
    usual way. From the signal handler (main thread): point the standard streams at /dev/null,
    save where we left off, stop and join the background work, and leave with status 0."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
    code = 0
    stop_background()
    try:
        save()
    except Exception:  # noqa: BLE001 - nobody to tell; each turn already saved where we left off
        code = 1
    work.stop_and_join()
    os._exit(code)


def exit_now_if_stuck(work: BackgroundWork, code: int = 0) -> None:
    """Called once the app has returned (session saved, terminal restored): if a background
    thread outlived its bound, leave without the interpreter's finalisation."""
    if work.running():
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed terminal (SIGHUP)
                pass
        os._exit(code)
