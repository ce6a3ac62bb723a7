"""The shared retry policy, without any SDK or server."""

from __future__ import annotations

import email.utils
import time

import pytest

from tutor.llm.base import Chunk, ModelError
from tutor.llm.retry import MAX_RETRY_AFTER, Failure, RetryPolicy, parse_retry_after, stream_with_retries


class Flaky(Exception):
    pass


def script(*outcomes):
    """An ``open_stream`` whose n-th call yields the n-th outcome's chunks, then raises if the
    outcome ends with an exception."""
    calls = []

    def open_stream():
        outcome = outcomes[len(calls)]
        calls.append(outcome)

        async def run():
            for item in outcome:
                if isinstance(item, BaseException):
                    raise item
                yield Chunk(content=item)

        return run()

    return open_stream, calls


def classify(exc, started):
    if isinstance(exc, Flaky):
        return Failure(f"flaky ({'after' if started else 'before'} text)", retryable=True, retry_after=None)
    return None


async def drain(stream):
    return [chunk.content async for chunk in stream]


def test_backoff_doubles_with_jitter_and_is_capped():
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0)
    for retry, full in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 5.0)]:
        delays = [policy.delay(retry) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1  # jittered


def test_retry_after_wins_over_backoff_within_a_cap():
    policy = RetryPolicy(base_delay=1.0)
    assert policy.delay(0, retry_after=7.0) == 7.0
    assert policy.delay(0, retry_after=3600.0) == MAX_RETRY_AFTER


def test_retry_after_is_read_in_seconds_milliseconds_or_as_a_date():
    assert parse_retry_after({"retry-after": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 <= parse_retry_after({"retry-after": later}) <= 31
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None


async def test_a_failure_before_text_is_retried_until_success():
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)

    open_stream, calls = script([Flaky()], [Flaky()], ["a", "b"])
    chunks = await drain(stream_with_retries(open_stream, classify, RetryPolicy(max_retries=3, base_delay=0.01, sleep=sleep)))

    assert chunks == ["a", "b"]
    assert len(calls) == 3 and len(sleeps) == 2


async def test_a_failure_after_text_is_never_retried():
    open_stream, calls = script(["a", Flaky()], ["never"])
    with pytest.raises(ModelError, match=r"flaky \(after text\); not retried"):
        await drain(stream_with_retries(open_stream, classify, RetryPolicy(max_retries=3, base_delay=0)))
    assert len(calls) == 1


async def test_zero_retries_says_retries_are_off():
    open_stream, calls = script([Flaky()])
    with pytest.raises(ModelError, match=r"flaky \(before text\); retries are off \(TUTOR_MAX_RETRIES=0\)$"):
        await drain(stream_with_retries(open_stream, classify, RetryPolicy(max_retries=0)))
    assert len(calls) == 1


async def test_exceptions_that_are_not_the_providers_propagate_unchanged():
    open_stream, _ = script([KeyError("bug")])
    with pytest.raises(KeyError):
        await drain(stream_with_retries(open_stream, classify, RetryPolicy()))
