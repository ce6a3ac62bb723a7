"""explain: the 2-4 most relevant sentences and formula lines from the best chunks, cited,
plus a question back to the learner."""

from __future__ import annotations

import re

from tutor.agent.compose.base import Draft, Turn, dedupe
from tutor.agent.compose.answers import direct_answer, open_question, orientation, question_type
from tutor.agent.passages import ANAPHORIC, condense, label, short_section, words

RELEVANT = 0.30  # cosine of the best chunk below which the course has nothing on the question
FORMULA_ASK = re.compile(r"\b(?:formula|size|how (?:big|much|many)|compute|calculate|bytes|count|number of|memory|cost)\b")


def _term_names(term: str) -> list[str]:
    """'byte-pair encoding (BPE)' -> ['byte pair encoding (bpe)', 'byte pair encoding', 'bpe']."""
    low = _plain(term)
    names = [low, re.sub(r"\s*\([^)]*\)", "", low).strip(), *re.findall(r"\(([^)]+)\)", low)]
    names += [n[:-1] for n in names if n.endswith("s") and len(n) > 4]  # "logits" -> "logit"
    names += [p.strip() for n in names if "," in n for p in n.split(",")]  # "query, key, value"
    names += [n.rsplit(" ", 1)[0] for n in names if n.endswith(GENERIC_TAILS) and " " in n]  # "top-k sampling" -> "top k"
    return [n.strip() for n in dict.fromkeys(names) if len(n.strip()) > 2]


GENERIC_TAILS = (" sampling", " encoding", " decoding", " loss", " similarity", " penalty", " routing", " model",
                 " prompt", " attention", " normalisation", " parameters", " embedding", " learning")


def _plain(text: str) -> str:
    return re.sub(r"[-_]", " ", text.lower())


def key_terms(turn: Turn, text: str, lessons: list[int] = ()) -> list[tuple[str, str, int]]:
    """(term, definition, lesson) for key terms the question names, looked up in the current
    lesson, its prerequisites and the lessons the retrieved passages come from."""
    found = []
    low = _plain(text)
    candidates = [turn.lesson, *turn.view.prerequisites(turn.lesson, depth=1), *lessons]
    for n in dict.fromkeys(candidates):
        lesson = turn.view.lessons.get(n)
        if lesson is None:
            continue
        for term in lesson.meta.key_terms:
            if any(re.search(rf"(?<!\w){re.escape(name)}s?(?!\w)", low) for name in _term_names(term.term)):
                if term.term.lower() not in {t.lower() for t, _, _ in found}:
                    found.append((term.term, term.definition, n))
    return found


def check_question(turn: Turn, cited_sections: list[tuple[int, str]], text: str,
                   used: frozenset[str] = frozenset()) -> tuple[str, dict] | None:
    """A misconception probe for a cited section, else the self-check closest to what was asked;
    never the item whose answer the reply already opened with."""
    asked = set(turn.thread.get("quiz_asked") or []) | set(used)
    for entry in turn.view.catalogue:
        if (entry.lesson, entry.section.lower()) in {(n, s.split(" > ")[-1].lower()) for n, s in cited_sections}:
            key = f"probe:{entry.id}"
            if key not in asked:
                return entry.probe, {"kind": "probe", "id": entry.id, "lesson": entry.lesson, "key": key}
    lessons = [n for n, _ in cited_sections] or [turn.lesson]
    best, best_score = None, 0
    mine = set(words(text + " " + turn.message))
    for n in dict.fromkeys(lessons):
        lesson = turn.view.lessons.get(n)
        for i, item in enumerate(lesson.self_checks if lesson else []):
            key = f"{n}:{i}"
            if key in asked:
                continue
            overlap = len(mine & set(words(item.question)))
            if overlap > best_score:
                best, best_score = (item.question, {"kind": "self-check", "lesson": n, "index": i, "key": key}), overlap
    return best


DEFINITION_ASK = re.compile(r"\b(?:what(?:'s| is| are| does)|whats|define|meaning of|tell me about|explain)\b")
NOT_EXPLANATION = ("Objectives", "Going further")


def _paragraph(units: list[str], hit: dict, examples_first: bool) -> str:
    prose = [u for u in units if not _is_formula_line(u)]
    formulas = [u for u in units if _is_formula_line(u)]
    while len(prose) > 1 and ANAPHORIC.match(prose[0]):
        prose = prose[1:]  # a paragraph never opens on "That is why ..." without what it points to
    block = " ".join(prose)
    if formulas:
        shown = "\n".join(f"    {f}" for f in formulas)
        block = f"{shown}\n\n{block}" if examples_first or not block else f"{block}\n\n{shown}\n"
    return f"{block.strip()} {label(hit['lesson'], hit['section'])}"


def not_found(turn: Turn, hits: list[dict]) -> Draft:
    nearest = list(dict.fromkeys(label(h["lesson"], h["section"]) for h in hits[:3]))
    lesson = turn.lesson_obj
    terms = ", ".join(t.term for t in lesson.meta.key_terms[:4]) if lesson else ""
    if nearest:
        hint = f" The nearest sections are {', '.join(nearest)}; ask about one of them, or name the idea another way."
    else:
        hint = f" In lesson {turn.lesson} you can ask about {terms}." if terms else ""
    return Draft(f"I could not find that in the course text, so I won't guess.{hint}")


def explain(turn: Turn) -> Draft:
    kind = question_type(turn.message)
    if kind == "orientation":
        return orientation(turn)
    if kind == "open-question":
        return open_question(turn)
    hits = [h for h in turn.hits if h["kind"] in ("concept", "misconception") and h["section"] not in NOT_EXPLANATION]
    hits = hits or [h for h in turn.hits if h["section"] not in NOT_EXPLANATION]
    answer = direct_answer(turn, kind, hits)
    best = max((h.get("cos", 1.0) for h in hits), default=0.0)
    if not hits or (best < RELEVANT and not answer.text and not _title_named(turn.message, hits[0])):
        return not_found(turn, hits)
    size = {"beginner": 3, "some": 4, "advanced": 5}[turn.experience]
    # at most three chunks, preferring different sections; a chunk with nothing to say on the
    # question (a table, a worked example's numbers) gives its place to the next hit
    top, groups = _condensed(turn, hits, size - (1 if answer.text else 0))
    parts, citations, cited = [], list(answer.citations), list(answer.sections)
    said = " ".join(answer.text.split())
    for hit, units in zip(top[: 2 if answer.text else 3], groups):
        units = [u for u in units if " ".join(u.split()) not in said]  # the opening already says it
        if units:
            parts.append(_paragraph(units, hit, turn.examples_first))
            citations.append(turn.cite(hit))
            cited.append((hit["lesson"], hit["section"]))
    if answer.text:
        parts.insert(0, answer.text)
    text = "\n\n".join(p for p in parts if p.strip())
    if turn.experience == "advanced" and turn.lesson_obj is not None:
        further = turn.lesson_obj.section("Going further")
        if further is not None:
            first = next((line.strip("-* ").strip() for line in further.text.splitlines() if line.strip().startswith(("-", "*"))), "")
            if first:
                text += f"\n\nGoing further: {first} [L{turn.lesson} § Going further]"
    if turn.hands_on and turn.lesson_obj is not None:
        exp = turn.lesson_obj.meta.lab.experiments[0]
        text += (f"\n\nTry it in the lab: change `{exp.variable}` over {', '.join(map(str, exp.values)) or 'a few values'} "
                 f"and watch {', '.join(exp.measure[:2])}.")
    updates = {}
    question = check_question(turn, cited, text, used=answer.used)
    if question:
        text += f"\n\n**Check yourself:** {question[0]}"
        updates["quiz"] = question[1]
    return Draft(text, dedupe(citations), updates)


def _title_named(message: str, hit: dict) -> bool:
    """The learner named the section: "what does lost in the middle mean" -> § Lost in the middle."""
    title = set(words(short_section(hit["section"])))
    return len(title) >= 2 and title <= set(words(message))


def _condensed(turn: Turn, hits: list[dict], size: int) -> tuple[list[dict], list[list[str]]]:
    distinct = [h for i, h in enumerate(hits) if h["section"] not in {g["section"] for g in hits[:i]}]
    pool = distinct if len(distinct) >= 3 else hits
    formula = bool(FORMULA_ASK.search(turn.message.lower()))
    top, groups = pool[:3], []
    for _ in range(3):
        groups = condense([h["text"] for h in top], turn.message, max_units=size,
                          examples_first=turn.examples_first, prefer_formula=formula)
        kept = [(h, g) for h, g in zip(top, groups) if g]
        spare = [h for h in pool if h not in top]
        if len(kept) == len(top) or not spare:
            break
        top = [h for h, _ in kept] + spare[: len(top) - len(kept)]
    return top, groups


def _is_formula_line(unit: str) -> bool:
    return ("=" in unit or "→" in unit or "×" in unit) and len(unit) < 90 and not unit.endswith((".", ":"))
