"""What a composer gets and gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tutor.agent.course_view import CourseView
from tutor.agent.passages import label, short_section


@dataclass
class Turn:
    message: str
    lesson: int  # the lesson this turn is about (plan lesson, detour lesson or one named)
    plan_lesson: int  # the lesson of this thread
    view: CourseView
    policy: Any
    hits: list[dict] = field(default_factory=list)  # Hit.to_dict() + "cos"
    profile: dict = field(default_factory=dict)
    thread: dict = field(default_factory=dict)  # the checkpointed thread state
    facts: dict = field(default_factory=dict)  # store facts for status (statuses, summary, misconceptions)
    vector: Any = None  # the message embedding, when there is an embedder
    embed: Any = None  # texts -> L2-normalised vectors (cached), or None without an embedder

    # -- profile -------------------------------------------------------------------------------
    @property
    def beginner_python(self) -> bool:
        return str(self.profile.get("python_fluency", "")).lower().startswith(("beginner", "low", "none", "little"))

    @property
    def examples_first(self) -> bool:
        return "example" in str(self.profile.get("learning_style", "")).lower()

    @property
    def hands_on(self) -> bool:
        return "hands" in str(self.profile.get("learning_style", "")).lower()

    @property
    def experience(self) -> str:
        text = str(self.profile.get("experience", "")).lower()
        if any(w in text for w in ("none", "no ", "beginner", "new", "little", "never")):
            return "beginner"
        if any(w in text for w in ("research", "phd", "years", "expert", "advanced", "professional", "senior")):
            return "advanced"
        return "some"

    # -- course ------------------------------------------------------------------------------
    @property
    def lesson_obj(self):
        return self.view.lessons.get(self.lesson)

    @property
    def lab(self):
        return self.view.lab(self.lesson)

    def cite(self, hit: dict) -> dict:
        return {"lesson": hit["lesson"], "section": hit["section"], "file": hit["file"], "lines": list(hit["lines"])}

    def section_citation(self, lesson: int, section_name: str) -> tuple[dict | None, str]:
        """Citation and label for a named section of a lesson (a misconception's or a stub's)."""
        lesson_obj = self.view.lessons.get(lesson)
        if lesson_obj is None:
            return None, ""
        section = lesson_obj.section(section_name)
        if section is None:
            return None, ""
        root = self.view.course.root
        try:
            file = lesson_obj.path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            file = lesson_obj.path.as_posix()
        return ({"lesson": lesson, "section": section.path, "file": file, "lines": [section.start, section.end]},
                label(lesson, section.path))


@dataclass
class Draft:
    text: str
    citations: list[dict] = field(default_factory=list)
    updates: dict = field(default_factory=dict)
    lead: str = ""  # said verbatim before the text, even when a model phrases the rest (the refusal)

    @property
    def full(self) -> str:
        return f"{self.lead}\n\n{self.text}" if self.lead else self.text


def dedupe(citations: list[dict]) -> list[dict]:
    seen, out = set(), []
    for c in citations:
        key = (c["lesson"], c["section"], tuple(c["lines"]))
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out


__all__ = ["Draft", "Turn", "dedupe", "label", "short_section"]
