"""An SDK client per event loop.

An async HTTP client's pooled connections belong to the event loop that opened them; the
TUI, ``tutor ask`` and the grader may each run their own loop over one model object, so a
model keeps one client per loop instead of one for its lifetime.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    def __init__(self, factory: Callable[[], T]):
        self._factory = factory
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = self._factory()
        return client

    async def aclose(self) -> None:
        client: Any = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()
