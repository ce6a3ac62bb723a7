"""One overall deadline per turn, shared by every model call made inside it.

A turn may call the model more than once (classification, then the reply); each call's own
timeout and retries would add up (a silent server once cost 2 calls x 4 attempts x 60 s).
``turn_deadline(seconds)`` sets an absolute end for everything inside it; ``retry.py``
waits for no chunk, and sleeps no backoff, past it. Scopes nest: the earlier end wins.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from typing import Iterator

_END: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("tutor_turn_deadline", default=None)


@contextlib.contextmanager
def turn_deadline(seconds: float | None) -> Iterator[None]:
    """Everything inside ends by ``seconds`` from now (None or <= 0: no deadline)."""
    if not seconds or seconds <= 0:
        yield
        return
    end = time.monotonic() + seconds
    outer = _END.get()
    if outer is not None and outer[0] <= end:
        end, seconds = outer
    token = _END.set((end, seconds))
    try:
        yield
    finally:
        try:
            _END.reset(token)
        except ValueError:  # left from another context (an async generator closed elsewhere)
            _END.set(outer)


def remaining() -> float | None:
    """Seconds left in the current turn, None outside one."""
    current = _END.get()
    return None if current is None else max(0.0, current[0] - time.monotonic())


def length() -> float | None:
    """The whole deadline of the current turn in seconds (for messages)."""
    current = _END.get()
    return None if current is None else current[1]
