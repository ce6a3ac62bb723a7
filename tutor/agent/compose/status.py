"""status: lesson statuses, open misconceptions, where we left off and next steps (store);
redirect: one line back to the course."""

from __future__ import annotations

from tutor.agent.compose.base import Draft, Turn
from tutor.agent.memory import recap

STATUS_WORDS = {"not_started": "not started", "in_progress": "in progress", "submitted": "submitted", "passed": "passed"}


def status(turn: Turn) -> Draft:
    from tutor.agent.compose.answers import OPEN_QUESTION, open_question

    if OPEN_QUESTION.search(turn.message):
        return open_question(turn)
    facts = turn.facts
    statuses: dict = facts.get("statuses") or {}
    lines = []
    name = (turn.profile or {}).get("name")
    lines.append(f"Here is where you stand{', ' + name if name else ''}:")
    if statuses:
        row = ", ".join(f"L{n} {STATUS_WORDS.get(s, s)}" for n, s in sorted(statuses.items()))
        lines.append(f"- Lessons: {row}.")
    else:
        lines.append("- No lesson recorded yet.")
    lines.append(f"- Current: {turn.view.lesson_label(turn.plan_lesson)}.")
    summary = facts.get("summary")
    citations = []
    here = recap(turn.view, turn.plan_lesson, turn.thread)
    if here:
        lines.insert(0, f"Where we left off in {turn.view.lesson_label(turn.plan_lesson).capitalize()}: " + " ".join(here) + "\n")
        topics = turn.thread.get("topics") or []
        if topics:
            label_, _, title = topics[-1].partition(" ")
            citation, _ = turn.section_citation(int(label_[1:]), title) if label_[1:].isdigit() else (None, "")
            if citation:
                citations.append(citation)
    elif summary and summary.get("where_left_off"):
        lines.append(f"- Where we left off: {summary['where_left_off']}")
    open_ones = facts.get("misconceptions") or []
    if open_ones:
        shown = []
        for item in open_ones[:3]:
            entry = turn.view.entry(item["misconception_id"])
            shown.append(f"\"{entry.belief}\" (lesson {entry.lesson}, reread § {entry.section})" if entry else item["misconception_id"])
        lines.append("- Open misconceptions: " + "; ".join(shown) + ".")
    steps = (summary or {}).get("next_steps") or facts.get("next_steps") or []
    if steps:
        lines.append("\nNext steps:\n" + "\n".join(f"- {s}" for s in steps[:5]))
    lines.append(f"\n`tutor progress` shows the same from the command line; `tutor grade labs/lesson_{turn.plan_lesson:02d}` "
                 "checks your lab.")
    return Draft("\n".join(lines), citations)


def redirect(turn: Turn) -> Draft:
    lesson = turn.view.lessons.get(turn.plan_lesson)
    title = f" ({lesson.title})" if lesson else ""
    return Draft(f"That is outside this course, so I'll leave it; we're on lesson {turn.plan_lesson}{title}: "
                 "ask me about its ideas, its lab, or your runs.")
