"""A scripted backend for app tests that need fixed data or a failure on cue (the real agent
is used by the tests in test_chat_agent.py)."""

from __future__ import annotations

import asyncio
import time

from tutor.tui.backend import Backend, Done, Reasoning, Token

LESSONS = [(1, "Tokenization"), (2, "Embeddings")]
CITATION = {"lesson": 1, "section": "Concept focus", "file": "curriculum/lessons/lesson_01.md", "lines": [10, 20]}


class ScriptedBackend(Backend):
    """Each turn plays ``script`` (a list of Token/Reasoning/Done, or an exception to raise)."""

    def __init__(self, settings, script=None, *, statuses=None, onboarding=False, store=None, course=None, lesson=1):
        super().__init__(settings, "ada", lesson)
        self.script = script if script is not None else [
            Token("A **token** is a subword unit.\n\n```python\nids = tokenizer.encode(text)\n```"),
            Done("A **token** is a subword unit.\n\n```python\nids = tokenizer.encode(text)\n```", [CITATION])]
        self.statuses = dict(statuses or {})
        self.onboarding = onboarding
        self.profile = None
        self.ended = 0
        self.turns: list[str] = []
        self.store = store
        self.course = course
        self.index_steps: list[tuple[int, int, str]] = []
        self.release_index = None  # an asyncio-free threading.Event a test can hold the index on

    def load(self) -> None:
        self.session = self  # anything not None: the app treats the session as loaded

    def needs_onboarding(self) -> bool:
        return self.onboarding and self.profile is None

    def save_profile(self, profile: dict) -> None:
        self.profile = profile

    def opening_message(self) -> str:
        if self.profile:
            return f"Welcome, {self.profile['name']}. We're on lesson 1."
        return "Welcome back. Where we left off: BPE merges.\n\nNext steps:\n- count tokens for three texts"

    def end_session(self) -> None:
        self.ended += 1

    def lessons(self):
        return LESSONS

    def lesson_statuses(self):
        return dict(self.statuses)

    def switch_lesson(self, number: int) -> None:
        self.lesson = number

    def thread_turns(self, limit: int = 4):
        return []

    def index_ready(self) -> bool:
        return True

    def prepare_index(self, progress, stop=None) -> None:
        for step in self.index_steps:
            progress(*step)
        if self.release_index is not None:  # held like a build between batches: quitting stops it
            deadline = time.monotonic() + 30
            while not self.release_index.is_set() and not (stop is not None and stop.is_set()):
                assert time.monotonic() < deadline, "the index was never released nor stopped"
                self.release_index.wait(0.05)

    async def turn(self, message: str):
        self.turns.append(message)
        self.statuses.setdefault(self.lesson, "in_progress")
        for item in self.script:
            if isinstance(item, BaseException):
                raise item
            if item == "hang":
                await asyncio.Event().wait()  # a reply that never finishes on its own
            yield item

    def section_text(self, citation):
        return "Fixed section text about subword units."


__all__ = ["ScriptedBackend", "Token", "Reasoning", "Done", "LESSONS", "CITATION"]
