"""Text from a lab run, the learner's code, a submission or the model reaches the screen as text:
Textual drops only BEL/BS/VT/FF/CR itself, so ESC/OSC/CSI/C1/bidi codes (an OSC 52 clipboard
write, a window title, a clear screen) are made visible before a widget gets them, and Rich markup
in such text (``[/x]``, ``[@click=...]``) is shown, never parsed."""

from rich.text import Text
from textual.widgets import Input, Markdown, Static

from tests.tui.conftest import wait_until
from tests.tui.doubles import Done, Reasoning, ScriptedBackend, Token
from tutor.tui.app import TutorApp
from tutor.tui.instructor.app import InstructorApp
from tutor.tui.instructor.export import ExportScreen
from tutor.tui.widgets.check_panel import CheckPanel, result_text
from tutor.tui.widgets.reply import Reply
from tutor.tui.widgets.run_log import RunLog, record_summary

SIZE = (120, 40)
EVIL = "loss 0.1 \x1b]52;c;cHduZWQ=\x1b\\ \x1b[2J\x1b[H \u202egnp.exe \x9b31m \x07"
RAW = ("\x1b", "\x9b", "\u202e", "\x07")


def clean(text: str) -> bool:
    return not any(code in text for code in RAW)


def notes(app) -> list[str]:
    return [m.source for m in app.query(".note").results(Markdown)]


async def test_lab_output_and_the_run_record_show_escape_codes_instead_of_sending_them(plain_settings):
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        log = app.query_one("#run-log", RunLog)
        log.start("Running python starter.py \x1b]0;title\x07")
        log.write("stdout", EVIL + "\n")
        log.write("stderr", " 10%\r 50%\r100%\n")  # a progress bar: what a terminal leaves of the line
        await wait_until(pilot, lambda: "100%" in log.output)
        assert clean(log.output) and clean(str(log.query_one(".run-title").render()))
        assert "\\x1b]52;c;cHduZWQ=" in log.output and "\\u202egnp.exe" in log.output and "\\x9b31m" in log.output
        assert log.output.splitlines()[-1] == "[stderr] 100%"
        log.finish(record_summary({"run_id": "r1", "reason": "error", "detail": EVIL, "run_dir": "/x\x1b[2J"}, False))
        record = str(log.query_one(".run-record").render())
        assert clean(record) and "\\x1b]52" in record and "result: error" in record


async def test_check_results_show_the_learner_codes_exception_and_value_as_text(plain_settings):
    outcome = {"todos": [{"todo": "merge_pair", "status": "error", "check_id": "c1", "passed": 0, "total": 2,
                          "error": "Traceback...\nValueError: boom " + EVIL},
                         {"todo": "count_pairs\x1b[2J", "status": "failed", "check_id": "c2", "passed": 0, "total": 1,
                          "expected": "(1, 2)", "got": "R\x1b]0;REPR\x07"}]}
    assert clean(result_text(outcome).plain)
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        panel = app.query_one("#check-panel", CheckPanel)
        panel.start("checks")
        panel.finish("checks", result_text(outcome), outcome)
        await pilot.pause()
        assert clean(panel.body) and "ValueError: boom loss 0.1 \\x1b]52" in panel.body and "\\x1b]0;REPR" in panel.body
        panel.finish("checks", f"The checks could not run: {EVIL}")
        await pilot.pause()
        assert clean(panel.body) and "\\x1b[2J" in panel.body


async def test_reasoning_is_plain_text_markup_in_it_is_shown_not_applied(plain_settings):
    thought = "the learner wrote [/x] and x[i] [@click=app.quit]quit[/] [link=https://e.example]l[/link] \x1b]0;T\x07"
    script = [Reasoning(thought), Token("ok"), Done("ok", [])]
    app = TutorApp(plain_settings.model_copy(update={"show_reasoning": True}),
                   backend=ScriptedBackend(plain_settings, script))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        app.query_one("#prompt", Input).value = "hi"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.query(Reply) and app.query(Reply).last().body.source == "ok")
        shown = app.query(Reply).last().query_one(".reasoning-text", Static).render()
        assert isinstance(shown, Text) or hasattr(shown, "plain")
        text = str(shown)
        assert "[/x]" in text and "x[i]" in text and "[@click=app.quit]quit[/]" in text and "[link=" in text
        assert clean(text) and "\\x1b]0;T\\x07" in text
        assert not any("reply failed" in n for n in notes(app))


async def test_a_reply_keeps_its_markdown_but_not_its_escape_codes(plain_settings):
    streamed = "A **token** is `ids[0]` \x1b]52;c;cHduZWQ=\x07 here"
    guarded = "I won't write it. What does **one** merge return? \x1b[2J\u202e"
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings, [Token(streamed), Done(guarded, [])]))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        app.query_one("#prompt", Input).value = "hi"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.query(Reply) and "merge return" in app.query(Reply).last().body.source)
        source = app.query(Reply).last().body.source
        assert clean(source) and "**one**" in source and "\\x1b[2J\\u202e" in source
        app.chat.add_note(f"**Self-check failed:** {EVIL}", kind="error")
        await app.chat.show_history([{"message": "q \x1b[2J", "reply": "**r** \x1b]0;T\x07"}], "Earlier")
        await pilot.pause()
        assert all(clean(n) for n in notes(app)) and any("**Self-check failed:** loss 0.1 \\x1b]52" in n for n in notes(app))
        history = [m.source for m in app.query(".history-reply").results(Markdown)]
        assert history == ["**r** \\x1b]0;T\\x07"]
        assert all(clean(str(q.render())) for q in app.query(".question").results(Static))


async def test_a_typed_export_path_with_markup_is_shown_as_typed(plain_settings, cohort_store, tmp_path):
    app = InstructorApp(plain_settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.loaded)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen))
        typed = f"{tmp_path}/no[/x]such/p.csv"
        app.screen.query_one("#export-path", Input).value = typed
        await pilot.press("enter")
        problem = app.screen.query_one("#export-problem", Static)
        await wait_until(pilot, lambda: "does not exist" in str(problem.render()))
        assert f"folder {tmp_path}/no[/x]such does not exist" in str(problem.render())
        assert isinstance(app.screen, ExportScreen)


async def test_store_errors_and_learner_ids_with_markup_do_not_crash_the_instructor_app(plain_settings, cohort_store,
                                                                                         monkeypatch):
    import tutor.store.overview

    def broken(store, learner_id, **kwargs):
        raise RuntimeError(f"no such learner {learner_id}")

    monkeypatch.setattr(tutor.store.overview, "learner_overview", broken)
    app = InstructorApp(plain_settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.loaded)
        app.show_problem("Could not read the progress store: bad [/x] path \x1b]0;T\x07")
        await pilot.pause()
        title = str(app.query_one("#cohort-title", Static).render())
        assert "bad [/x] path" in title and clean(title)
        app.open_learner("lesson_01_[/x]\x1b[2J")
        await wait_until(pilot, lambda: app._notifications)
        await pilot.pause(0.3)  # the toast is painted
        message = list(app._notifications)[-1].message
        assert "Could not read learner" in message and clean(message)
        assert app.is_running
