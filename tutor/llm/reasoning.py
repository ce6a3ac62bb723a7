"""One reasoning splitter for every provider.

Servers hand reasoning over in three forms: a ``reasoning`` delta (newer vLLM), a
``reasoning_content`` delta (older vLLM, llama.cpp, DeepSeek-style APIs), or inline in the
content as ``<think>...</think>`` (vLLM without ``--reasoning-parser``, llama.cpp or Ollama
serving a thinking model). The delta forms are read by the provider; ``ThinkSplitter``
moves the inline form out of the content as it streams, with tags split across chunk
boundaries and a block the model never closes (everything after ``<think>`` is reasoning).
What comes out as content is the reply only: it is what is shown, stored and sent back to
the model as history.
"""

from __future__ import annotations

import re
from typing import AsyncIterator

from tutor.llm.base import Chunk

OPEN, CLOSE = "<think>", "</think>"
_OPEN_ANY = re.compile(r"<(think|thinking|reasoning)>", re.I)


def _partial_tail(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.lower().startswith(text[-size:].lower()):
            return size
    return 0


class ThinkSplitter:
    def __init__(self) -> None:
        self._held = ""  # text that may be the start of a tag
        self.thinking = False
        self.saw_think = False
        self._close = CLOSE  # the closing tag of the block that is open

    def feed(self, text: str) -> tuple[str, str]:
        """(content, reasoning) that can be passed on now."""
        text = self._held + text
        self._held = ""
        content: list[str] = []
        reasoning: list[str] = []
        while text:
            if self.thinking:
                end = text.lower().find(self._close)
                if end < 0:
                    keep = _partial_tail(text, self._close)
                    reasoning.append(text[: len(text) - keep])
                    self._held = text[len(text) - keep:]
                    break
                reasoning.append(text[:end])
                text = text[end + len(self._close):]
                self.thinking = False
            else:
                match = _OPEN_ANY.search(text)
                if match is None:
                    keep = max(_partial_tail(text, t) for t in ("<think>", "<thinking>", "<reasoning>"))
                    content.append(text[: len(text) - keep])
                    self._held = text[len(text) - keep:]
                    break
                content.append(text[: match.start()])
                text = text[match.end():]
                self.thinking = self.saw_think = True
                self._close = f"</{match.group(1).lower()}>"
        return "".join(content), "".join(reasoning)

    def close(self) -> tuple[str, str]:
        """End of stream: a held partial tag is text of the channel it was in."""
        held, self._held = self._held, ""
        return ("", held) if self.thinking else (held, "")


async def split_inline_reasoning(chunks: AsyncIterator[Chunk]) -> AsyncIterator[Chunk]:
    """``chunks`` with inline think blocks moved from content to reasoning."""
    splitter = ThinkSplitter()
    async for chunk in chunks:
        content, reasoning = splitter.feed(chunk.content) if chunk.content else ("", "")
        reasoning = chunk.reasoning + reasoning
        if content or reasoning or chunk.finish:
            yield Chunk(content=content, reasoning=reasoning, finish=chunk.finish)
    content, reasoning = splitter.close()
    if content or reasoning:
        yield Chunk(content=content, reasoning=reasoning)
