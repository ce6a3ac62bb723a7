"""Pilot tests of the learner app: offline replies, the replay model, citations, help, cancel."""

from textual.containers import VerticalScroll
from textual.widgets import Input, Markdown, OptionList, Static

from tests.tui.conftest import wait_until
from tutor.tui.app import HelpScreen, TutorApp


def answers(app):
    return [m for m in app.query(".answer").results(Markdown)]


async def test_status_bar_says_offline_replies_come_from_course_text(offline_settings):
    app = TutorApp(offline_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        status = str(app.query_one("#status", Static).render())
        assert "offline" in status and "course text" in status
        assert "index: ready" in status


async def test_offline_question_gets_course_excerpt_with_citation_that_opens_section(offline_settings):
    app = TutorApp(offline_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.click("#prompt")
        app.query_one("#prompt", Input).value = "what is byte pair encoding tokenization"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.query(".citations"))
        assert "From lesson" in answers(app)[-1].source
        citations = app.query_one(".citations", OptionList)
        citations.focus()
        citations.highlighted = 0
        await pilot.press("enter")
        panel = app.query_one("#section-panel", Markdown)
        await wait_until(pilot, lambda: panel.has_class("open"))
        assert ".md" in panel.source


async def test_replay_model_streams_reply_and_hides_reasoning(replay_settings):
    app = TutorApp(replay_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        app.query_one("#prompt", Input).value = "what is a token?"
        await pilot.press("enter")
        await wait_until(pilot, lambda: answers(app) and "subword" in answers(app)[-1].source)
        reasoning = app.query_one("#reasoning")
        assert reasoning.collapsed
        assert "BPE" in str(app.query_one("#reasoning-text", Static).render())


async def test_model_error_is_a_message_and_prompt_is_kept(tmp_path):
    from tutor.config import load_settings

    app = TutorApp(load_settings(model=f"replay:{tmp_path / 'missing.jsonl'}"))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        app.query_one("#prompt", Input).value = "hello"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("failed" in m.source for m in app.query(".note").results(Markdown)))
        assert app.query_one("#prompt", Input).value == "hello"


async def test_help_screen_lists_every_binding(offline_settings):
    app = TutorApp(offline_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        text = app.screen.query_one("#help", Markdown).source
        for binding in TutorApp.BINDINGS:
            assert binding.key in text


async def test_picking_a_lesson_switches_the_thread(offline_settings):
    app = TutorApp(offline_settings)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        lessons = app.query_one("#lessons", OptionList)
        lessons.focus()
        lessons.highlighted = 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.backend.lesson == int(lessons.get_option_at_index(1).id))
        notes = app.query_one("#chat", VerticalScroll).query(".note").results(Markdown)
        assert any("Now on lesson" in n.source for n in notes)


async def test_self_check_grades_the_lab_folder_and_shows_the_rubric_table(offline_settings, tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    lab = tmp_path / "labs" / "lesson_01"
    shutil.copytree(Path(__file__).resolve().parents[2] / "curriculum" / "labs" / "lesson_01", lab)
    monkeypatch.chdir(tmp_path)
    app = TutorApp(offline_settings, lesson=1)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: any("| criterion |" in m.source or "Not gradable" in m.source or "failed" in m.source
                                            for m in app.query(".note").results(Markdown)), timeout=60)
        assert any("| criterion |" in m.source or "Not gradable" in m.source for m in app.query(".note").results(Markdown))


async def test_escape_cancels_a_reply_and_restores_the_prompt(offline_settings):
    import asyncio

    from tutor.tui.backend import Backend, Token

    started = asyncio.Event()

    class SlowBackend(Backend):
        def load(self) -> None:
            pass

        async def turn(self, message):
            yield Token("Thinking about ")
            started.set()
            await asyncio.Event().wait()  # a reply that never finishes on its own
            yield Token("never")

    app = TutorApp(offline_settings, backend=SlowBackend(offline_settings))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        app.query_one("#prompt", Input).value = "explain attention"
        await pilot.press("enter")
        await wait_until(pilot, started.is_set)
        assert app.query_one("#prompt", Input).value == ""
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.reply_worker.is_cancelled or not app.reply_worker.is_running)
        assert app.query_one("#prompt", Input).value == "explain attention"
        assert "never" not in answers(app)[-1].source


async def test_run_lab_runs_the_shipped_starter_in_the_sandbox_and_shows_the_record(offline_settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no labs/ here: the shipped starter runs with --smoke in a scratch copy
    app = TutorApp(offline_settings, lesson=1)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: any("Run finished" in m.source or "failed to start" in m.source
                                            for m in app.query(".note").results(Markdown)), timeout=90)
        assert any("Run finished" in m.source for m in app.query(".note").results(Markdown))
        assert list(tmp_path.iterdir()) == []
