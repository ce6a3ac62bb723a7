"""Pilot tests of the learner app's own behaviour, on a scripted backend (fixed replies, failures
on cue); the real agent is driven in test_chat_agent.py."""

import threading

from textual.widgets import Input, Markdown, OptionList

from tests.tui.conftest import wait_until
from tests.tui.doubles import CITATION, Done, Reasoning, ScriptedBackend, Token
from tutor.tui.app import OTHER_KEYS, TutorApp
from tutor.tui.screens.help import HelpScreen, key_names
from tutor.tui.widgets.reply import REVISED, Reply
from tutor.tui.widgets.sidebar import LessonList
from tutor.tui.widgets.status_bar import StatusBar

SIZE = (120, 40)


def notes(app) -> list[str]:
    return [m.source for m in app.query(".note").results(Markdown)]


async def ask(app, pilot, text: str) -> Reply:
    app.query_one("#prompt", Input).value = text
    await pilot.press("enter")
    await wait_until(pilot, lambda: app.query(Reply))
    return app.query(Reply).last()


async def test_help_lists_every_binding_of_the_app(plain_settings):
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        shown = app.screen.text
        for binding in TutorApp.BINDINGS:
            assert f"{key_names(binding)}: {binding.tooltip}" in shown
        for key, what in OTHER_KEYS:
            assert f"{key}: {what}" in shown
        assert "?: this list of keys" in shown and "esc: cancel the reply" in shown
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, HelpScreen))


async def test_status_bar_says_offline_and_shows_index_progress_until_ready(plain_settings):
    backend = ScriptedBackend(plain_settings)
    backend.index_steps = [(0, 0, "reading the course"), (32, 94, "embedding")]
    backend.release_index = threading.Event()
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        status = app.query_one("#status", StatusBar)
        assert "offline: replies come from the course text" in status.text
        await wait_until(pilot, lambda: "index: building: embedding 32/94" in status.text)
        backend.release_index.set()
        await wait_until(pilot, lambda: "index: ready" in status.text)


async def test_tokens_stream_into_the_reply_and_reasoning_is_collapsed(plain_settings):
    script = [Reasoning("think about BPE"), Token("Tokens are "), Token("**subword** units."),
              Done("Tokens are **subword** units.", [CITATION])]
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings, script))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        reply = await ask(app, pilot, "what is a token?")
        await wait_until(pilot, lambda: reply.query(".citations"))
        assert reply.body.source == "Tokens are **subword** units."
        box = reply.query_one(".reasoning")
        assert box.display and box.collapsed  # there, and hidden until asked for
        assert "BPE" in str(reply.query_one(".reasoning-text").render())
        await pilot.press("ctrl+t")
        assert not box.collapsed


async def test_a_guard_rewrite_re_renders_the_reply_from_the_final_text(plain_settings):
    leaked = "Here is the whole lab:\n```python\ndef train_bpe(s, n):\n    return merges\n```"
    coached = "I won't write `train_bpe` for you. What should one merge step return?"
    script = [Token(leaked), Done(coached, [])]
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings, script))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        reply = await ask(app, pilot, "write train_bpe")
        await wait_until(pilot, lambda: "won't write" in reply.body.source)
        assert "def train_bpe" not in reply.body.source
        assert REVISED in reply.body.source


async def test_escape_cancels_a_reply_and_restores_the_prompt(plain_settings):
    backend = ScriptedBackend(plain_settings, [Token("Thinking about "), "hang", Token("never")])
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        reply = await ask(app, pilot, "explain attention")
        await wait_until(pilot, lambda: "Thinking" in reply.body.source)
        assert app.query_one("#prompt", Input).value == ""
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.reply_worker.is_running)
        assert app.query_one("#prompt", Input).value == "explain attention"
        assert "never" not in reply.body.source
        assert any("cancelled" in n for n in notes(app))


async def test_a_failing_turn_is_a_message_and_the_prompt_is_kept(plain_settings):
    backend = ScriptedBackend(plain_settings, [ConnectionError("model endpoint http://gpu:8000 refused the connection")])
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        app.query_one("#prompt", Input).value = "hello"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("The reply failed" in n for n in notes(app)))
        assert any("refused the connection" in n for n in notes(app))
        assert app.query_one("#prompt", Input).value == "hello"
        assert not app.query(Reply)  # the empty reply is gone, the app is still up
        backend.script = [Token("ok"), Done("ok", [])]
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.query(Reply) and app.query(Reply).last().body.source == "ok")


async def test_a_citation_opens_its_section_in_the_side_panel(plain_settings):
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        reply = await ask(app, pilot, "what is a token?")
        await wait_until(pilot, lambda: reply.query(".citations"))
        citations = reply.query_one(".citations", OptionList)
        assert "lesson_01.md:10-20" in str(citations.get_option_at_index(0).prompt)
        citations.focus()
        citations.highlighted = 0
        await pilot.press("enter")
        panel = app.query_one("#section-panel")
        await wait_until(pilot, lambda: panel.has_class("open") and panel.query("#section-text"))
        text = panel.query_one("#section-text", Markdown).source
        assert "Fixed section text" in text and "Concept focus" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: not panel.has_class("open"))


async def test_picking_a_lesson_switches_the_thread_and_the_sidebar_marks_statuses(plain_settings):
    backend = ScriptedBackend(plain_settings, statuses={1: "passed"})
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        lessons = app.query_one("#lessons", LessonList)
        assert str(lessons.get_option_at_index(0).prompt).startswith("✔ 01 Tokenization")
        assert str(lessons.get_option_at_index(1).prompt).startswith("○ 02 Embeddings")
        lessons.focus()
        lessons.highlighted = 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: backend.lesson == 2 and any("Lesson 2: Embeddings" in n for n in notes(app)))
        assert not any("Where we left off" in n for n in notes(app))  # the lesson 1 chat is gone
        assert "lesson 2" in app.query_one("#status", StatusBar).text
        await ask(app, pilot, "what is cosine similarity?")
        await wait_until(pilot, lambda: str(lessons.get_option_at_index(1).prompt).startswith("◐ 02"))


async def test_quitting_ends_the_session(plain_settings):
    backend = ScriptedBackend(plain_settings)
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: backend.ended == 1)
    assert backend.ended == 1


async def test_onboarding_answers_reach_save_profile_then_the_opening_shows(plain_settings):
    from textual.widgets import Button

    from tutor.tui.screens.onboarding import OnboardingScreen

    backend = ScriptedBackend(plain_settings, onboarding=True)
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, OnboardingScreen) and app.screen.query("#start"))
        app.screen.query_one("#name", Input).value = "Ada"
        app.screen.query_one("#start", Button).press()
        await wait_until(pilot, lambda: backend.profile is not None)
        assert backend.profile["name"] == "Ada" and backend.profile["python_fluency"] == "intermediate"
        await wait_until(pilot, lambda: any("Welcome, Ada" in n for n in notes(app)))


async def test_onboarding_asks_again_for_a_missing_name(plain_settings):
    from textual.widgets import Button

    from tutor.tui.screens.onboarding import OnboardingScreen

    backend = ScriptedBackend(plain_settings, onboarding=True)
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, OnboardingScreen) and app.screen.query("#start"))
        app.screen.query_one("#start", Button).press()
        await pilot.pause()
        assert isinstance(app.screen, OnboardingScreen) and backend.profile is None



async def test_the_command_palette_offers_every_action(plain_settings):
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Run lab", "Self-check", "Progress", "Lessons", "Help"} <= titles


async def test_a_tutor_that_cannot_start_says_why_and_keeps_the_question(tmp_path):
    from tutor.config import load_settings

    settings = load_settings(model="offline", course=tmp_path)  # no AGENTS.md, no lessons
    app = TutorApp(settings)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready, timeout=60)
        assert any("could not start" in n for n in notes(app))
        app.query_one("#prompt", Input).value = "hello?"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("The reply failed" in n for n in notes(app)))
        assert app.query_one("#prompt", Input).value == "hello?"
        await pilot.press("ctrl+q")


async def test_onboarding_works_from_the_keyboard_alone(plain_settings):
    """Type, enter, pick a choice with enter, and the hint says which key does what."""
    from textual.widgets import Select, Static

    from tutor.tui.screens.onboarding import OnboardingScreen

    backend = ScriptedBackend(plain_settings, onboarding=True)
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, OnboardingScreen) and app.screen.query("#start"))
        screen = app.screen
        hint = screen.query_one("#onboarding-step", Static)
        await pilot.press(*"Ada", "enter", *"learn", "enter", *"some", "enter")
        await pilot.pause()
        assert screen.query_one("#learning_style", Select).has_focus
        assert str(hint.render()) == ("Step 4 of 6: How do you like to learn? "
                                      "Enter opens the choices, tab keeps this one and moves on.")
        await pilot.press("enter", "down", "enter")  # open the list, take "theory first"
        await wait_until(pilot, lambda: screen.query_one("#python_fluency", Select).has_focus)
        await pilot.press("tab")
        assert str(hint.render()) == "Step 6 of 6: Start. Enter begins the course."
        await pilot.press("enter")
        await wait_until(pilot, lambda: backend.profile is not None)
    assert backend.profile == {"name": "Ada", "goals": "learn", "experience": "some",
                               "learning_style": "theory first", "python_fluency": "intermediate"}
