"""assess: quiz with the lesson's self-check questions, compare an answer with the stored
one, explain how the lab is graded, and point to ``tutor grade``."""

from __future__ import annotations

import re

from tutor.agent.compose.base import Draft, Turn
from tutor.agent.passages import words

GRADING_ASK = re.compile(r"\bgrad(?:ed|ing|e)\b|\brubric\b|\bmarks?\b|\bpass\b")
REVIEW_ASK = re.compile(r"\breview\b|\bis (?:this|my) (?:right|correct|ok)\b|\bcheck my\b")


DONT_KNOW = re.compile(r"\b(?:i )?(?:don'?t|do not) know\b|\bno idea\b|\bidk\b|\bnot sure\b|\bgive up\b|"
                       r"\bjust tell me\b|\bwhat'?s the answer\b", re.I)


def _similarity(turn: Turn, reference: str) -> float:
    if turn.embed is None or turn.vector is None:
        return 0.0
    try:
        return float(turn.embed([reference])[0] @ turn.vector)
    except Exception:  # noqa: BLE001 - the word overlap still decides
        return 0.0


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def self_check_section(turn: Turn, lesson: int) -> tuple[dict | None, str]:
    return turn.section_citation(lesson, "Self-check questions")


def grading(turn: Turn) -> Draft:
    rubric = turn.view.course.rubrics.get(turn.lesson)
    folder = f"labs/lesson_{turn.lesson:02d}"
    if rubric is None:
        return Draft(f"Lesson {turn.lesson} has no rubric file yet. Every lab is scored on the five criteria in "
                     f"AGENTS.md; run `tutor grade {folder}` to see what is checked.")
    weights = ", ".join(f"{c.replace('_', ' ')} {w:.0%}" for c, w in rubric.weights.items())
    checks = "\n".join(f"- {c.description}" for c in rubric.checks)
    text = (f"Lesson {turn.lesson}'s lab is scored 0-4 on each criterion, weighted {weights}; "
            f"you pass at {rubric.pass_score:.0%}.\n\nDeterministic checks that always run first:\n{checks}\n\n"
            f"Run `tutor grade {folder}` yourself before handing in: it shows which checks pass and, with a "
            "model configured, the judge's evidence per criterion.")
    return Draft(text)


def ask_question(turn: Turn, lesson_number: int) -> Draft:
    lesson = turn.view.lessons.get(lesson_number)
    if lesson is None or not lesson.self_checks:
        return Draft(f"Lesson {lesson_number} has no self-check questions yet.")
    asked = set(turn.thread.get("quiz_asked") or [])
    order = [i for i in range(len(lesson.self_checks)) if f"{lesson_number}:{i}" not in asked]
    if not order:
        order = list(range(len(lesson.self_checks)))
    index = order[0]
    item = lesson.self_checks[index]
    citation, where = self_check_section(turn, lesson_number)
    text = (f"Self-check {index + 1} of {len(lesson.self_checks)} from lesson {lesson_number}:\n\n**{item.question}**\n\n"
            "Answer in your own words (numbers where it asks for them); I'll compare it with the lesson's answer.")
    key = f"{lesson_number}:{index}"
    return Draft(text, [citation] if citation else [],
                 {"quiz": {"kind": "self-check", "lesson": lesson_number, "index": index, "key": key}})


def grade_answer(turn: Turn, quiz: dict) -> Draft:
    lesson_number = quiz["lesson"]
    if quiz.get("kind") == "probe":
        entry = turn.view.entry(quiz["id"])
        reference = entry.correction if entry else ""
        question = entry.probe if entry else ""
        citation, where = turn.section_citation(entry.lesson, entry.section) if entry else (None, "")
    else:
        lesson = turn.view.lessons.get(lesson_number)
        item = lesson.self_checks[quiz["index"]] if lesson and quiz["index"] < len(lesson.self_checks) else None
        reference = item.answer if item else ""
        question = item.question if item else ""
        citation, where = self_check_section(turn, lesson_number)
    if not reference:
        return Draft("I lost track of which question that answers; ask me for a new one.", updates={"quiz": None})
    if DONT_KNOW.search(turn.message) and not quiz.get("hinted"):
        # the answer is for after trying: first a pointer to where the answer is taught
        section = where or f"lesson {lesson_number}"
        return Draft(f"Give it one try first, even a rough one: the answer is in {section}. Reread it and say in one "
                     f"sentence: {question}", [citation] if citation else [], {"quiz": {**quiz, "hinted": True}})
    mine = set(words(turn.message))
    # the first sentence of a long reference carries its point; later ones explain it
    core = re.split(r"(?<=[.!?])\s+", reference.strip())[0] if len(reference) > 160 else reference
    key_words = {w for w in words(core) if len(w) > 3}
    hit = sorted(mine & key_words)
    missing = sorted(key_words - mine)
    numbers_ref, numbers_mine = _numbers(reference), _numbers(turn.message)
    coverage = len(hit) / max(len(key_words), 1)
    similarity = _similarity(turn, reference)
    numbers_ok = not numbers_ref or bool(numbers_ref & numbers_mine)
    good = (coverage >= 0.34 or similarity >= 0.6) and numbers_ok
    if good:
        verdict = "That matches the lesson's answer on the points that matter."
    elif coverage >= 0.2 or similarity >= 0.45 or (numbers_ref and numbers_ref & numbers_mine):
        verdict = "Part of it is there."
    else:
        verdict = "That is not what the lesson's answer says yet."
    gave_up = bool(DONT_KNOW.search(turn.message))
    if gave_up:
        verdict = "Here it is; read it, then say it back in your own words."
    parts = [verdict]
    if hit and not gave_up:
        parts.append(f"You named: {', '.join(hit[:6])}.")
    if missing and coverage < 0.8 and not gave_up:
        parts.append(f"The reference also relies on: {', '.join(missing[:6])}.")
    if numbers_ref and not numbers_ok and not gave_up:
        parts.append("Check your arithmetic: the reference gets a different number.")
    parts.append(f"\n\nThe lesson's answer to \"{question}\": {reference} {where}".rstrip())
    parts.append("\n\nSay \"quiz me\" for the next question.")
    asked_key = quiz.get("key")
    updates = {"quiz": None}
    if asked_key:
        updates["quiz_asked"] = [asked_key]
    if quiz.get("kind") == "probe" and good:
        updates["resolved"] = quiz["id"]
    return Draft(" ".join(parts).replace(" \n\n", "\n\n"), [citation] if citation else [], updates)


def assess(turn: Turn) -> Draft:
    quiz = turn.thread.get("quiz")
    text = turn.message.lower()
    if quiz and not GRADING_ASK.search(text) and not re.search(r"\bquiz|\btest me|\bask me", text):
        return grade_answer(turn, quiz)
    if GRADING_ASK.search(text) and not re.search(r"\bquiz\b", text):
        return grading(turn)
    if REVIEW_ASK.search(text) and turn.lab is not None:
        stub = next((s for s in turn.lab.stubs if s.name in text), None)
        if stub is not None:
            check = stub.check or "the smallest input you can compute by hand"
            return Draft(f"I won't mark code line by line for correctness, but here is how to check `{stub.name}` yourself: "
                         f"run it on {check} and compare. Then ask: what happens at the edges "
                         "(empty input, ties, a zero)? Paste your function here (or say \"check my code\") and I'll "
                         "run the lab's checks on it.", [], {})
    m = re.search(r"\blesson\s*(\d{1,2})\b", text)
    lesson_number = int(m.group(1)) if m and turn.view.has(int(m.group(1))) else turn.lesson
    return ask_question(turn, lesson_number)
