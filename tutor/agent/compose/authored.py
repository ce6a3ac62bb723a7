"""The lesson's authored answers: key terms with their definitions, self-check questions with
their answers, misconception corrections. Searched as answers (not as prose chunks), so a
learner question close to a self-check question opens with that answer, cited.

Ranked by the message vector the turn already computed against the items' vectors (embedded
once per course and embedder, cached on disk like the catalogue's), plus word overlap so the
search still works while the embedding model is loading.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from tutor.agent.passages import words
from tutor.agent.vector_cache import encode_cached

ANSWER_COS = 0.62  # a self-check question or a belief this close to the message answers it


@dataclass(frozen=True)
class Item:
    kind: str  # "term" | "self-check" | "correction"
    lesson: int
    asks: str  # what the item answers (term name, question, belief)
    answer: str
    section: str  # where the lesson teaches it
    index: int = 0  # the self-check's position (its quiz key)


def course_items(view) -> list[Item]:
    items: list[Item] = []
    for n, lesson in sorted(view.lessons.items()):
        for term in lesson.meta.key_terms:
            items.append(Item("term", n, term.term, term.definition, "Key terms"))
        for i, check in enumerate(lesson.self_checks):
            items.append(Item("self-check", n, check.question, check.answer, "Self-check questions", i))
    for entry in view.catalogue:
        items.append(Item("correction", entry.lesson, entry.belief, entry.correction, entry.section))
    return items


def embed_texts(items: list[Item]) -> list[str]:
    """What is embedded per item (the shipped vectors in ``tutor/retrieval/seed.py`` cover these)."""
    return [i.asks if i.kind != "term" else f"{i.asks}: {i.answer}" for i in items]


class AuthoredIndex:
    _cache: dict[tuple[int, str], "AuthoredIndex"] = {}
    _lock = threading.Lock()

    def __init__(self, view, embed=None):
        self.items = course_items(view)
        self.vectors = None
        if embed is not None:
            try:
                self.vectors = np.asarray(embed(embed_texts(self.items)), dtype=np.float32)
            except Exception:  # noqa: BLE001 - word overlap still ranks
                self.vectors = None

    @classmethod
    def for_turn(cls, turn) -> "AuthoredIndex":
        key = (id(turn.view.course), "embed" if turn.embed is not None else "words")
        with cls._lock:
            if key not in cls._cache:
                cls._cache[key] = cls(turn.view, turn.embed)
            return cls._cache[key]

    def search(self, message: str, vector, lessons: list[int], kinds: tuple[str, ...] = ("self-check", "correction"),
               exclude: set[int] = frozenset()) -> list[tuple[float, Item]]:
        """(score, item) best first, for items of ``lessons``; score is a cosine when there is a
        vector, else a word-overlap share."""
        mine = set(words(message))
        sims = self.vectors @ np.asarray(vector, dtype=np.float32) if self.vectors is not None and vector is not None else None
        out = []
        for i, item in enumerate(self.items):
            if item.kind not in kinds or item.lesson not in lessons or i in exclude:
                continue
            if sims is not None:
                score = float(sims[i])
            else:
                theirs = set(words(item.asks))
                score = len(mine & theirs) / max(len(theirs), 1)
            out.append((score, item))
        out.sort(key=lambda t: -t[0])
        return out


def first_sentences(text: str, n: int = 2) -> str:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", " ".join(text.split()))
    return " ".join(parts[:n])


__all__ = ["ANSWER_COS", "AuthoredIndex", "Item", "first_sentences"]
