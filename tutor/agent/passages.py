"""Condense retrieved lesson chunks into the few sentences that answer a question.

The offline tutor never writes a fact of its own: it picks sentences, bullet points and
formula lines from the retrieved chunks, keeps them in the lesson's order, and cites them.
Formulas and numbers are kept verbatim (they are what a learner checks against).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

STOP = frozenset("""a an the and or of to in on for with by is are was were be been it its this that these those
what why how when which who does do did can could would should will i me my you your we our they them their
as at from into about than then so if not no but also just more most very there here have has had get got
tell explain show give please between difference lesson lab""".split())
_FORMULA = re.compile(r"[=×→≈÷±√∑]|\b\d[\d,.]*\s*(?:bytes|gib|mib|gb|mb|ms|tokens?|x)\b|\^|\b\w+\s*/\s*\w+")


@dataclass(frozen=True)
class Unit:
    text: str
    order: int
    formula: bool
    chunk: int


def words(text: str) -> list[str]:
    """Content words; a hyphenated compound counts whole and by its parts ('byte-pair')."""
    found = []
    for w in re.findall(r"[a-z0-9_]+(?:-[a-z0-9_]+)?", text.lower()):
        found += [w, *w.split("-")] if "-" in w else [w]
    return [w for w in found if w not in STOP and len(w) > 1]


def _stem(word: str) -> str:
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def units(text: str, chunk: int = 0) -> list[Unit]:
    """Sentences, bullets and formula lines of one chunk, headings and fences dropped."""
    out: list[Unit] = []
    paragraph: list[str] = []
    in_fence = False
    paragraph_started = [False]  # has any paragraph been flushed yet (the first may be cut)

    def flush(introduces_skipped: bool = False) -> None:
        if paragraph:
            joined = " ".join(" ".join(paragraph).split())
            sentences = _sentences(joined)
            if introduces_skipped and sentences and sentences[-1].rstrip().endswith(":"):
                sentences.pop()  # "The pair counts are:" + a table we do not keep says nothing
            for sentence in sentences:
                if not out and not paragraph_started[0] and sentence[:1].islower():
                    continue  # the tail of a sentence cut by the chunk boundary
                if len(sentence) > 12 and len(re.findall(r"[A-Za-z]{2,}", sentence)) >= 4:
                    out.append(Unit(sentence, len(out), bool(_FORMULA.search(sentence)) and len(sentence) < 90, chunk))
            paragraph.clear()
            paragraph_started[0] = True

    for line in text.splitlines():
        if line.strip().startswith(("```", "~~~")):
            flush(introduces_skipped=not in_fence)
            _drop_dangling_intro(out, not in_fence)
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "|")):
            flush(introduces_skipped=stripped.startswith("|"))  # headings and table rows do not condense into sentences
            _drop_dangling_intro(out, stripped.startswith("|"))
        elif line.startswith(("    ", "\t")) and _FORMULA.search(stripped):
            flush()
            out.append(Unit(stripped, len(out), True, chunk))
        elif re.match(r"^(?:[-*+]|\d+[.)])\s+", stripped):
            flush()  # a bullet starts its own paragraph; its continuation lines join it
            paragraph.append(re.sub(r"^(?:[-*+]|\d+[.)])\s+", "", stripped))
        elif stripped.startswith(("Misconception:", "Probe:", "Correction:", "Cues:", "What is true:", "A learner might say:")):
            flush()
            if stripped.startswith(("Correction:", "What is true:")):
                out.append(Unit(stripped.split(":", 1)[1].strip(), len(out), False, chunk))
        else:
            paragraph.append(stripped)
    flush()
    return out


def _drop_dangling_intro(out: list[Unit], skipped_block_starts: bool) -> None:
    """A sentence ending in ':' before a blank line and a table or code block we drop."""
    if skipped_block_starts and out and out[-1].text.rstrip().endswith(":") and not out[-1].formula:
        out.pop()


ANAPHORIC = re.compile(r"(?:That|This|These|Those|So|Thus|Hence|Therefore|Such)\b(?! (?:lesson|lab|course|section)\b)")
ABBREVIATION = re.compile(r"(?:\b(?:Dr|Mr|Ms|vs|Fig|Eq|al|approx|cf)|\be\.g|\bi\.e)\.$")


def _sentences(paragraph: str) -> list[str]:
    """Split at sentence ends, but not after 'Dr.', 'e.g.', 'et al.' and the like."""
    merged: list[str] = []
    for piece in re.split(r"(?<=[.!?])\s+(?=[A-Z(\"'`*])", paragraph):
        if merged and ABBREVIATION.search(merged[-1]):
            merged[-1] += " " + piece
        else:
            merged.append(piece)
    return merged


def _idf(all_units: list[Unit]) -> dict[str, float]:
    df: dict[str, int] = {}
    for unit in all_units:
        for w in {_stem(w) for w in words(unit.text)}:
            df[w] = df.get(w, 0) + 1
    n = max(len(all_units), 1)
    return {w: math.log(1 + n / c) for w, c in df.items()}


def score(unit: Unit, query: set[str], idf: dict[str, float]) -> float:
    mine = {_stem(w) for w in words(unit.text)}
    overlap = sum(idf.get(w, 1.0) for w in query & mine)
    return overlap / math.sqrt(len(mine) + 4)


def condense(chunks: list[str], query: str, max_units: int = 4, examples_first: bool = False,
             prefer_formula: bool = False) -> list[list[str]]:
    """The best units per chunk (chunks in the order given), each list in reading order."""
    all_units = [u for i, text in enumerate(chunks) for u in units(text, i)]
    if not all_units:
        return [[] for _ in chunks]
    idf = _idf(all_units)
    q = {_stem(w) for w in words(query)}
    following = {(u.chunk, u.order): u for u in all_units}
    # a sentence that only introduces what follows (a table or list that is not kept) says
    # nothing alone: it may be chosen only when a formula line follows it
    candidates = [u for u in all_units if not u.text.rstrip().endswith(":")
                  or getattr(following.get((u.chunk, u.order + 1)), "formula", False)] or all_units
    ranked = sorted(candidates, key=lambda u: (-(score(u, q, idf) + (0.15 if u.formula and prefer_formula else 0.0)
                                                 - 0.02 * u.chunk - 0.001 * u.order)))
    chosen = [u for u in ranked[:max_units] if score(u, q, idf) > 0] or ranked[:1]
    # a sentence that points back ("That is why ...", "This means ...") needs the one before it
    for u in list(chosen):
        before = following.get((u.chunk, u.order - 1))
        if ANAPHORIC.match(u.text) and before is not None and before not in chosen:
            chosen.append(before)
    # a formula line right after a chosen sentence belongs with it ("For one sequence ...:" + formula)
    for u in list(chosen):
        if u.text.rstrip().endswith(":"):
            nxt = following.get((u.chunk, u.order + 1))
            if nxt is not None and nxt not in chosen:
                chosen.append(nxt)
    result: list[list[str]] = []
    for i in range(len(chunks)):
        mine = sorted((u for u in chosen if u.chunk == i), key=lambda u: u.order)
        if examples_first:
            mine = sorted(mine, key=lambda u: (not u.formula, u.order))
        result.append([u.text for u in mine])
    return result


def short_section(section: str) -> str:
    """'Concept focus > The KV-cache memory formula' -> 'The KV-cache memory formula'."""
    return section.split(" > ")[-1].strip()


def label(lesson: int, section: str) -> str:
    return f"[L{lesson} § {short_section(section)}]"
