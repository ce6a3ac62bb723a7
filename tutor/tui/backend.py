"""One adapter between the app and the parts built elsewhere (agent, stores, runner).

Each part is used when it imports; otherwise the chat says plainly what is missing, and
never crashes. Offline without the agent, replies quote the best-matching course section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, AsyncIterator


@dataclass
class Token:
    text: str


@dataclass
class Reasoning:
    text: str


@dataclass
class Done:
    reply: str
    citations: list[dict] = field(default_factory=list)


class Backend:
    def __init__(self, settings: Any, learner_id: str = "default", lesson: int | None = None):
        self.settings = settings
        self.learner_id = learner_id
        self.lesson = lesson
        self.session = None
        self.course = None
        self.model = None
        self.notice = ""
        self.model_error = ""

    def model_label(self) -> str:
        spec = getattr(self.settings, "model", "offline")
        if spec == "offline":
            return "offline: replies come from the course text"
        return f"model: {spec}"

    def load(self) -> None:
        """The slow part, run in a worker after the first paint."""
        from tutor.course.loader import load_course

        try:
            self.course = load_course(self.settings.course_dir)
        except Exception as exc:  # a course with problems must still show a usable app
            self.notice = f"the course has problems (`tutor curriculum check`): {str(exc).splitlines()[0]}"
            try:
                from tutor.course.loader import _Loader

                self.course = _Loader(self.settings.course_dir).load()
            except Exception:
                self.course = None
        if self.lesson is None and self.course and self.course.lessons:
            self.lesson = min(self.course.lessons)
        try:
            from tutor.agent.session import TutorSession
        except ImportError:
            TutorSession = None
        if TutorSession is not None:
            self.session = TutorSession(self.settings, learner_id=self.learner_id, lesson=self.lesson)
            return
        from tutor.llm import get_chat_model

        try:
            self.model = get_chat_model(self.settings)
        except Exception as exc:
            self.model_error = f"model not available: {exc}"

    def lessons(self) -> list[tuple[int, str]]:
        if not self.course:
            return []
        return [(n, lesson.title) for n, lesson in sorted(self.course.lessons.items())]

    def switch_lesson(self, number: int) -> None:
        self.lesson = number
        if self.session is not None:
            self.session.switch_lesson(number)

    def needs_onboarding(self) -> bool:
        return bool(self.session is not None and self.session.needs_onboarding)

    def save_profile(self, profile: dict) -> None:
        if self.session is not None:
            self.session.save_profile(**profile)

    def opening_message(self) -> str:
        if self.session is not None:
            return self.session.opening_message()
        text = "Welcome. Ask about the current lesson; press F1 or ? for every key."
        if self.notice:
            text += f"\n\n_{self.notice}_"
        if self.session is None:
            text += "\n\n_The teacher agent is not available yet: replies come straight from the model or the course text._"
        return text

    async def turn(self, message: str) -> AsyncIterator[Any]:
        if self.session is not None:
            async for event in self.session.turn(message):
                name = type(event).__name__
                if name == "TokenEvent":
                    yield Token(event.text)
                elif name == "ReasoningEvent":
                    yield Reasoning(event.text)
                elif name == "DoneEvent":
                    yield Done(event.result.reply, list(event.result.citations))
            return
        if self.model_error:
            # raised per turn so the chat shows it and keeps the prompt
            raise RuntimeError(self.model_error)
        if self.model is not None:
            from tutor.llm import Message

            parts: list[str] = []
            async for chunk in self.model.stream([Message("user", message)]):
                if chunk.reasoning:
                    yield Reasoning(chunk.reasoning)
                if chunk.content:
                    parts.append(chunk.content)
                    yield Token(chunk.content)
            yield Done("".join(parts))
            return
        reply, citations = self.course_answer(message)
        yield Token(reply)
        yield Done(reply, citations)

    def course_answer(self, message: str) -> tuple[str, list[dict]]:
        """Offline: the section of the course that shares the most words with the question."""
        if not self.course:
            return "The course is not loaded, so there is nothing to answer from yet.", []
        words = set(re.findall(r"[a-z]{3,}", message.lower()))
        best, best_score = None, 0
        for lesson in self.course.lessons.values():
            for section in lesson.sections:
                text_words = set(re.findall(r"[a-z]{3,}", (section.title + " " + section.text).lower()))
                score = len(words & text_words) + (1 if lesson.id == self.lesson else 0)
                if score > best_score:
                    best, best_score = (lesson, section), score
        if best is None:
            return "I found nothing in the course text about that. Try other words.", []
        lesson, section = best
        excerpt = section.text.strip()[:600]
        rel = str(lesson.path.relative_to(self.course.root)) if lesson.path.is_relative_to(self.course.root) else lesson.path.name
        reply = f"From lesson {lesson.id}, *{section.path}*:\n\n{excerpt}"
        return reply, [{"lesson": lesson.id, "section": section.path, "file": rel, "lines": [section.start, section.end]}]

    def section_text(self, citation: dict) -> str:
        if not self.course:
            return ""
        path = self.course.root / citation["file"]
        start, end = citation["lines"]
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            return f"Could not read {citation['file']}: {exc.strerror}"
        return "\n".join(lines[start - 1 : end])
