"""One retry policy for every provider: exponential backoff with jitter, ``Retry-After``
honoured, and never a retry once part of a reply has been streamed (text must not repeat).

Providers turn their SDK's exceptions into ``Failure``s (``failures.py``); this module only
decides whether and when to try again. The SDKs' own retries are switched off
(``max_retries=0``) so that this is the only policy. Only what can succeed on a second try
is retried (``failures.py`` decides: a reset connection, 429, 502/503/504), and nothing
waits past the turn's deadline (``deadline.py``): no chunk, no backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import random
import time
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable, Mapping

from tutor.llm import deadline
from tutor.llm.base import Chunk, ModelError

MAX_RETRY_AFTER = 60.0  # a server asking for longer than this is treated as down, not busy


@dataclass(frozen=True)
class Failure:
    """What went wrong with one attempt, in words a user can act on."""

    message: str  # one line, no secrets
    retryable: bool = False
    retry_after: float | None = None  # seconds the server asked us to wait
    refused_form: bool = False  # the request's response_format may be what the server refused


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3
    base_delay: float = 0.5  # seconds before the first retry; doubles each time
    max_delay: float = 20.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
        backoff = min(self.base_delay * (2**retry), self.max_delay)
        return backoff * (0.5 + random.random() / 2)  # jitter: callers do not retry in lockstep


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms`` / ``Retry-After`` (seconds or an HTTP date), else None."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000.0
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


async def stream_with_retries(
    open_stream: Callable[[], AsyncIterator[Chunk]],
    classify: Callable[[BaseException, bool], Failure | None],
    policy: RetryPolicy,
    where: str = "the model server",
) -> AsyncIterator[Chunk]:
    """Yield ``open_stream()``'s chunks, starting it again on a retryable failure that came
    before the first chunk. ``classify(exc, started)`` returns None for exceptions that are
    not the provider's (they propagate unchanged)."""
    retry = 0
    while True:
        started = False
        stream = open_stream()
        try:
            while True:
                try:
                    chunk = await _next_within_deadline(stream)
                except StopAsyncIteration:
                    return
                started = True
                yield chunk
        except ModelError:
            raise
        except _DeadlinePassed:
            total = deadline.length() or 0
            tail = "; the partial reply is kept" if started else ""
            raise ModelError(f"{where} gave no complete reply within the turn's {total:g}s deadline "
                             f"(TUTOR_TURN_DEADLINE){tail}") from None
        except Exception as exc:
            failure = classify(exc, started)
            if failure is None:
                raise
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
        if started:
            raise ModelError(f"{failure.message}; not retried, since part of the reply had already arrived")
        if not failure.retryable:
            raise ModelError(failure.message, refused_form=failure.refused_form)
        if policy.max_retries == 0:
            raise ModelError(f"{failure.message}; retries are off (TUTOR_MAX_RETRIES=0)")
        if retry >= policy.max_retries:
            raise ModelError(f"{failure.message}; gave up after {retry} retr{'y' if retry == 1 else 'ies'}")
        wait = policy.delay(retry, failure.retry_after)
        left = deadline.remaining()
        if left is not None and wait >= left:
            raise ModelError(f"{failure.message}; no time left in the turn's {deadline.length():g}s deadline "
                             "to try again (TUTOR_TURN_DEADLINE)")
        await policy.sleep(wait)
        retry += 1


class _DeadlinePassed(Exception):
    pass


async def _next_within_deadline(stream: AsyncIterator[Chunk]) -> Chunk:
    left = deadline.remaining()
    if left is None:
        return await stream.__anext__()
    if left <= 0:
        raise _DeadlinePassed
    try:
        return await asyncio.wait_for(stream.__anext__(), left)
    except asyncio.TimeoutError:
        raise _DeadlinePassed from None
