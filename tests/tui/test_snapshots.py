"""SVG snapshots of the main screens: fixed data and times, fixed size, cursor blink off.

Regenerate with `pytest tests/tui/test_snapshots.py --snapshot-update`, and look at the SVGs
under __snapshots__/ before committing them.
"""

import pytest
from textual.widgets import Input

from tests.tui.doubles import ScriptedBackend
from tutor.tui.app import TutorApp
from tutor.tui.instructor.app import InstructorApp
from tutor.tui.instructor.learner import LearnerScreen
from tutor.tui.screens.progress import ProgressScreen

SIZE = (120, 36)


@pytest.fixture
def settings(plain_settings):
    return plain_settings


@pytest.fixture
def store(cohort_store):
    return cohort_store


async def settled(pilot) -> None:
    """Loaded, index ready, no blinking cursor."""
    app = pilot.app
    while not getattr(app, "ready", True) or getattr(app, "index_state", "ready") != "ready":
        await pilot.pause(0.05)
    for box in app.screen.query(Input):
        box.cursor_blink = False
    await pilot.pause()


def learner_app(settings, **kw):
    return TutorApp(settings, backend=ScriptedBackend(settings, statuses={1: "passed", 2: "in_progress"}, **kw))


def test_chat_with_a_reply(snap_compare, settings):
    async def ask(pilot):
        await settled(pilot)
        await pilot.press(*"what is a token?", "enter")
        while not pilot.app.query(".citations"):
            await pilot.pause(0.05)
        await settled(pilot)

    assert snap_compare(learner_app(settings), terminal_size=SIZE, run_before=ask)


def test_help_screen(snap_compare, settings):
    async def open_help(pilot):
        await settled(pilot)
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(learner_app(settings), terminal_size=SIZE, run_before=open_help)


def test_onboarding_screen(snap_compare, settings):
    async def until_shown(pilot):
        while not pilot.app.screen.query("#start"):
            await pilot.pause(0.05)
        await settled(pilot)

    assert snap_compare(learner_app(settings, onboarding=True), terminal_size=SIZE, run_before=until_shown)


def test_progress_screen(snap_compare, settings, store):
    async def open_progress(pilot):
        await settled(pilot)
        await pilot.press("f2")
        while not isinstance(pilot.app.screen, ProgressScreen):
            await pilot.pause(0.05)
        await pilot.pause()

    assert snap_compare(learner_app(settings, store=store), terminal_size=SIZE, run_before=open_progress)


def test_instructor_cohort(snap_compare, settings, store):
    async def loaded(pilot):
        while not pilot.app.loaded:
            await pilot.pause(0.05)
        await pilot.pause()

    assert snap_compare(InstructorApp(settings, store), terminal_size=SIZE, run_before=loaded)


def test_instructor_learner_drill_down(snap_compare, settings, store):
    async def open_ada(pilot):
        while not pilot.app.loaded:
            await pilot.pause(0.05)
        await pilot.press("enter")
        while not isinstance(pilot.app.screen, LearnerScreen):
            await pilot.pause(0.05)
        await pilot.pause()

    assert snap_compare(InstructorApp(settings, store), terminal_size=SIZE, run_before=open_ada)
