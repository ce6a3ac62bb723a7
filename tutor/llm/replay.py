"""``replay:<file.jsonl>``: scripted replies for tests, demos and evaluation.

One JSON object per line, ``{"content": "...", "reasoning": "..."}`` (reasoning optional),
returned in order for successive calls; the last line repeats when the file runs out.
Content is streamed in small pieces so streaming code paths are exercised.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, AsyncIterator

from tutor.llm.base import Chunk, Message, ModelError


class ReplayModel:
    def __init__(self, replies: list[dict[str, str]], name: str = "replay", delay: float = 0.0, piece: int = 12):
        if not replies:
            raise ModelError("replay model has no replies")
        self.replies = replies
        self.name = name
        self.delay = delay  # seconds to sleep per call (benchmarks simulate model latency)
        self.piece = piece
        self.calls: list[list[Message]] = []
        self.kwargs: list[dict[str, Any]] = []

    @classmethod
    def from_file(cls, path: str | Path, **kw: Any) -> "ReplayModel":
        path = Path(path).expanduser()
        if not path.is_file():
            raise ModelError(f"replay file {path} not found")
        replies = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ModelError(f"{path}:{number}: not JSON: {exc.msg}") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("content", ""), str):
                raise ModelError(f"{path}:{number}: expected {{\"content\": str, \"reasoning\": str}}")
            replies.append(obj)
        return cls(replies, name=f"replay:{path}", **kw)

    @classmethod
    def from_texts(cls, *texts: str, **kw: Any) -> "ReplayModel":
        return cls([{"content": t} for t in texts], **kw)

    def _next(self) -> dict[str, str]:
        index = min(len(self.calls) - 1, len(self.replies) - 1)
        return self.replies[index]

    async def stream(self, messages: list[Message], **kwargs: Any) -> AsyncIterator[Chunk]:
        self.calls.append(list(messages))
        self.kwargs.append(kwargs)
        reply = self._next()
        if self.delay:
            await asyncio.sleep(self.delay)
        reasoning = reply.get("reasoning") or ""
        for i in range(0, len(reasoning), self.piece):
            yield Chunk(reasoning=reasoning[i : i + self.piece])
        content = reply.get("content", "")
        for i in range(0, len(content), self.piece):
            yield Chunk(content=content[i : i + self.piece])
