"""Where we left off, and what to do next: derived from what actually happened.

Saved after every turn (a crash loses nothing) and read back by the next session's opening
message. Built from the thread (topics, pending quiz, detour, TODOs asked about), the store
(lesson status, open misconceptions) and the lab (its TODOs and experiments).
"""

from __future__ import annotations

from tutor.agent.course_view import CourseView

DONE = ("submitted", "passed")


def where_left_off(view: CourseView, lesson: int, thread: dict) -> str:
    parts = [f"Lesson {lesson}" + (f" ({view.lessons[lesson].title})" if view.has(lesson) else "")]
    topics = [_topic(t, lesson) for t in (thread.get("topics") or [])][-3:]
    if topics:
        parts.append("we last looked at " + "; ".join(dict.fromkeys(topics)))
    detour = thread.get("detour")
    if detour:
        parts.append(f"we were on a detour to lesson {detour['lesson']} and still have to come back")
    asked = thread.get("requested_stubs") or []
    if asked:
        parts.append(f"you were working on {_todo(view, lesson, asked[-1])}")
    elif thread.get("scaffolded"):
        parts.append(f"you were starting {_todo(view, lesson, thread['scaffolded'][-1])}")
    if thread.get("quiz"):
        parts.append("a self-check question was still open")
    return ", ".join(parts[:1]) + (": " + "; ".join(parts[1:]) if len(parts) > 1 else "") + "."


def _topic(topic: str, lesson: int) -> str:
    """'L9 Temperature ...' -> 'Temperature ...', naming the lesson when it is not this one."""
    label, _, title = topic.partition(" ")
    if not title or not label.startswith("L") or label == f"L{lesson}":
        return title or topic
    return f"{title} (lesson {label[1:]})"


def _todo(view: CourseView, lesson: int, name: str) -> str:
    """'the TODO `x`', or 'the lesson 9 TODO `x`' when x is not in this lesson's lab."""
    if any(stub.name == name for stub in view.stubs(lesson)):
        return f"the TODO `{name}`"
    home = next((n for n in sorted(view.lessons) if any(s.name == name for s in view.stubs(n))), None)
    return f"the lesson {home} TODO `{name}`" if home is not None else f"the TODO `{name}`"


def next_steps(view: CourseView, lesson: int, thread: dict, status: str | None, open_misconceptions: list[dict]) -> list[str]:
    steps: list[str] = []
    detour = thread.get("detour")
    if detour:
        entry = view.entry(detour["misconception"])
        if entry:
            steps.append(f"Finish the lesson {entry.lesson} catch-up: {entry.probe}")
    for item in open_misconceptions[:2]:
        entry = view.entry(item["misconception_id"])
        if entry and not (detour and entry.id == detour["misconception"]):
            steps.append(f"Revisit lesson {entry.lesson} § {entry.section}: {entry.probe}")
    lab = view.lab(lesson)
    if status not in DONE and lab is not None:
        working = (thread.get("requested_stubs") or thread.get("scaffolded") or [None])[-1]
        ordered = sorted(lab.stubs, key=lambda s: (s.name != working, s.number))
        for stub in ordered[:2]:
            steps.append(f"Implement TODO {stub.number} `{stub.name}` ({stub.decision})"
                         + (f" and run its check: {stub.check}" if stub.check else ""))
        lesson_obj = view.lessons.get(lesson)
        if lesson_obj is not None:
            exp = lesson_obj.meta.lab.experiments[0]
            steps.append(f"Run '{exp.name}': vary {exp.variable}, same seeds, everything else fixed")
        steps.append(f"Fill notes.md, then self-check with `tutor grade labs/lesson_{lesson:02d}`")
    elif status in DONE:
        following = next((n for n in sorted(view.lessons) if n > lesson), None)
        if following:
            steps.append(f"Start {view.lesson_label(following)}")
    if thread.get("quiz"):
        steps.append("Answer the open self-check question")
    return steps[:6]
