"""Where we left off, and what to do next: derived from what actually happened.

Saved after every turn (a crash loses nothing) and read back by the next session's opening
message. Built from the thread (topics, pending quiz, detour, TODOs asked about), the store
(lesson status, open misconceptions) and the lab (its TODOs and experiments).
"""

from __future__ import annotations

from tutor.agent.course_view import CourseView

DONE = ("submitted", "passed")


PROGRESS_ASK = ("left off", "where are we", "where was i", "progress", "open question", "what's next", "status")


def last_question(thread: dict) -> str:
    """The learner's last question about the course, in their own words (from the thread)."""
    for item in reversed(thread.get("history") or []):
        said = str(item.get("content", "")).strip()
        if item.get("role") == "user" and said and not said.startswith("[") \
                and not any(p in said.lower() for p in PROGRESS_ASK) and "\n" not in said:
            return said[:160]
    return ""


def open_question(view: CourseView, thread: dict) -> str:
    """The question still waiting for the learner's answer, verbatim."""
    quiz = thread.get("quiz") or {}
    if quiz.get("kind") == "probe":
        entry = view.entry(quiz.get("id", ""))
        return entry.probe if entry else ""
    lesson = view.lessons.get(quiz.get("lesson"))
    index = quiz.get("index", -1)
    return lesson.self_checks[index].question if lesson and 0 <= index < len(lesson.self_checks) else ""


def recap(view: CourseView, lesson: int, thread: dict) -> list[str]:
    """Where we left off as a tutor says it: the last topic in the learner's words, what they
    asked about in the lab, the open question verbatim. Only what the thread recorded."""
    lines = []
    asked = last_question(thread)
    topics = list(dict.fromkeys(_topic(t, lesson) for t in (thread.get("topics") or [])))[-2:]
    where = f" (we read § {topics[-1]})" if topics else ""
    if asked:
        lines.append(f"You last asked: \"{asked}\"{where}.")
    elif topics:
        lines.append(f"We last looked at {' and '.join(topics)}.")
    detour = thread.get("detour")
    if detour:
        lines.append(f"We were on a detour to lesson {detour['lesson']} and still have to come back.")
    requested = thread.get("requested_stubs") or []
    if requested:
        lines.append(f"You asked me for {_todo(view, lesson, requested[-1])}; I coached rather than wrote it, "
                     "and I have not seen your attempt.")
    elif thread.get("scaffolded"):
        lines.append(f"You asked about {_todo(view, lesson, thread['scaffolded'][-1])} and got its scaffold; "
                     "I have not seen your attempt.")
    question = open_question(view, thread)
    if question:
        lines.append(f"The open question: \"{question}\"")
    return lines


def where_left_off(view: CourseView, lesson: int, thread: dict) -> str:
    head = f"Lesson {lesson}" + (f" ({view.lessons[lesson].title})" if view.has(lesson) else "")
    lines = recap(view, lesson, thread)
    return f"{head}: " + " ".join(lines) if lines else f"{head}."


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
