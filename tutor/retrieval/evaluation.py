"""Retrieval quality on a set of learner questions: hit@1, hit@5 and MRR.

An item is ``{"q": str, "lesson": int, "section": str | [str, ...]}``. A result answers it at
lesson level when its lesson matches, at section level when the last part of its section
path is one of the item's sections as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEPTH = 10  # MRR looks this deep; a first relevant result below it counts as 0


@dataclass(frozen=True)
class EvalItem:
    question: str
    lesson: int
    sections: tuple[str, ...]


def load_eval_set(path: Path) -> list[EvalItem]:
    import yaml

    items = []
    for n, raw in enumerate(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or [], 1):
        try:
            sections = raw["section"]
            sections = (sections,) if isinstance(sections, str) else tuple(sections)
            items.append(EvalItem(str(raw["q"]), int(raw["lesson"]), sections))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: item {n} needs q, lesson and section ({exc})") from None
    return items


def _section_matches(hit_section: str, wanted: tuple[str, ...]) -> bool:
    tail = hit_section.split(" > ")[-1].strip().lower()
    return tail in {w.strip().lower() for w in wanted}


def first_relevant(hits, item: EvalItem, level: str) -> int | None:
    """1-based rank of the first result that answers ``item``, or None."""
    for rank, hit in enumerate(hits, 1):
        if hit.lesson == item.lesson and (level == "lesson" or _section_matches(hit.section, item.sections)):
            return rank
    return None


@dataclass(frozen=True)
class Scores:
    hit1: float
    hit5: float
    mrr: float
    misses: tuple[str, ...]  # questions with nothing relevant in the top 5


def evaluate(retriever, items: list[EvalItem], mode: str = "hybrid", level: str = "lesson") -> Scores:
    hit1 = hit5 = 0
    reciprocal = 0.0
    misses = []
    for item in items:
        rank = first_relevant(retriever.search(item.question, k=DEPTH, mode=mode), item, level)
        if rank == 1:
            hit1 += 1
        if rank is not None and rank <= 5:
            hit5 += 1
        else:
            misses.append(item.question)
        reciprocal += 1.0 / rank if rank else 0.0
    n = max(len(items), 1)
    return Scores(hit1 / n, hit5 / n, reciprocal / n, tuple(misses))
