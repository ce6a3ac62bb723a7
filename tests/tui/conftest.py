import asyncio
import time

import pytest

from tutor.config import load_settings


async def wait_until(pilot, predicate, timeout: float = 10.0) -> None:
    """Poll the app until predicate() holds, failing after timeout (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the deadline")
        await pilot.pause(0.05)


@pytest.fixture
def offline_settings():
    return load_settings(model="offline")


@pytest.fixture
def replay_settings(tmp_path):
    import json

    path = tmp_path / "replay.jsonl"
    path.write_text(json.dumps({"content": "Tokens are **subword** units.", "reasoning": "think about BPE"}) + "\n")
    return load_settings(model=f"replay:{path}")
