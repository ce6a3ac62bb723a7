"""Fixtures of the agent tests: the shipped course loaded once, its retrieval index built once
per test session (real embedding model) and linked into each test's own TUTOR_HOME, and
helpers to run turns through the real graph and checkpointer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.config import load_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def course():
    from tutor.agent.context import load_course_tolerantly

    return load_course_tolerantly(REPO)


@pytest.fixture(scope="session")
def view(course):
    from tutor.agent.course_view import course_view

    return course_view(course)


@pytest.fixture(scope="session")
def embedder():
    from tutor.config import Settings
    from tutor.retrieval import get_embedder

    return get_embedder(Settings())


@pytest.fixture(scope="session")
def shared_home(course_index_home) -> Path:
    """A TUTOR_HOME holding the full course's index and the cached prototype/catalogue vectors
    (tests/conftest.py's, shared with the other parts' tests)."""
    return course_index_home


@pytest.fixture
def agent_settings(linked_index_home):
    """Settings for this test's own TUTOR_HOME, with the shared index and vector cache linked in."""

    def make(**overrides):
        return load_settings(course=REPO, **overrides)

    return make


@pytest.fixture
def make_session(agent_settings):
    from tutor.agent.session import TutorSession

    def make(learner="ada", lesson=7, model=None, **overrides):
        return TutorSession(agent_settings(**overrides), learner_id=learner, lesson=lesson, model=model)

    return make


async def run_turn(session, message: str):
    """(result, token texts, reasoning texts) of one turn."""
    from tutor.agent.session import DoneEvent, ReasoningEvent, TokenEvent

    tokens, reasoning, result = [], [], None
    async for event in session.turn(message):
        if isinstance(event, TokenEvent):
            tokens.append(event.text)
        elif isinstance(event, ReasoningEvent):
            reasoning.append(event.text)
        elif isinstance(event, DoneEvent):
            result = event.result
    return result, tokens, reasoning


@pytest.fixture
def turn():
    return run_turn
