"""Fixtures for the provider tests: a scripted server and settings pointing at it."""

from __future__ import annotations

import socket

import pytest
from tests.llm.llm_fake_server import ScriptedServer

from tutor.config import Settings
from tutor.llm.retry import RetryPolicy


@pytest.fixture
def server():
    running = ScriptedServer().start()
    yield running
    running.stop()


@pytest.fixture
def closed_port_url() -> str:
    """An address where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


class Sleeps:
    """Records the backoff delays instead of sleeping them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def policy(sleeps):
    def make(max_retries: int = 2) -> RetryPolicy:
        return RetryPolicy(max_retries=max_retries, base_delay=0.001, sleep=sleeps)

    return make


@pytest.fixture
def make_settings():
    """Settings with a small token limit and timeout; keyword overrides win."""

    def make(url: str | None = None, **overrides) -> Settings:
        values = {"base_url": url, "request_timeout": 5.0, "max_tokens": 1024, "max_retries": 2}
        values.update(overrides)
        return Settings(**values)

    return make
