"""Misconceptions: ask the catalogue's probe, teach the correction with its section cited.
A belief from a prerequisite lesson becomes a short catch-up on that lesson, and a later
turn returns to the plan."""

from __future__ import annotations

from tutor.agent.compose.base import Draft, Turn


def teach(turn: Turn, entry) -> Draft:
    citation, where = turn.section_citation(entry.lesson, entry.section)
    text = (f"It sounds as if you're thinking: \"{entry.belief}\" That's a common trap, so let's check it.\n\n"
            f"**Question:** {entry.probe}\n\n"
            f"**What the lesson says:** {entry.correction} {where}".rstrip()
            + "\n\nTry the question in your own words; I'll compare your answer with the lesson.")
    return Draft(text, [citation] if citation else [],
                 {"quiz": {"kind": "probe", "id": entry.id, "lesson": entry.lesson, "key": f"probe:{entry.id}"}})


def catch_up(turn: Turn, entry, return_to: int) -> Draft:
    citation, where = turn.section_citation(entry.lesson, entry.section)
    back = turn.view.lesson_label(return_to)
    text = (f"Before we go further with {back}, a short detour to lesson {entry.lesson}: what you said sounds like "
            f"\"{entry.belief}\", and {back} builds on getting this right.\n\n"
            f"**Question:** {entry.probe}\n\n"
            f"**What lesson {entry.lesson} says:** {entry.correction} {where}".rstrip()
            + f"\n\nAnswer the question (or tell me it's clear) and we'll come back to lesson {return_to}.")
    return Draft(text, [citation] if citation else [],
                 {"quiz": {"kind": "probe", "id": entry.id, "lesson": entry.lesson, "key": f"probe:{entry.id}"},
                  "detour": {"lesson": entry.lesson, "misconception": entry.id, "turns": 0},
                  "return_to": return_to})


def resume(turn: Turn, detour: dict, return_to: int, resolved: bool, feedback: str = "") -> Draft:
    """Close the detour and say where the plan picks up again."""
    lesson = turn.view.lessons.get(return_to)
    topics = [t for t in (turn.thread.get("topics") or []) if not t.startswith(f"L{detour['lesson']} ")]
    where = f" We were on {topics[-1].split(' ', 1)[-1]}." if topics else ""
    title = f" ({lesson.title})" if lesson else ""
    lead = "Good, that's the point." if resolved else "Let's leave it there for now; it stays on your list of things to revisit."
    text = f"{feedback}\n\n{lead} Back to lesson {return_to}{title}, as promised.{where}".strip()
    nxt = ""
    if turn.view.lab(return_to) and turn.view.lab(return_to).stubs:
        stub = turn.view.lab(return_to).stubs[0]
        nxt = f" If you're on the lab, the first TODO is `{stub.name}` ({stub.decision})."
    text += nxt + " What would you like to pick up?"
    return Draft(text, [], {"detour": None, "return_to": None, "quiz": None})
