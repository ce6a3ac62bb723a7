"""Run lab (live log, run record stored), self-check (rubric table) and the progress screen."""

import shutil

from textual.widgets import DataTable, Markdown

from tests.tui.conftest import REPO, wait_until
from tests.tui.doubles import ScriptedBackend
from tests.tui.store_data import populate
from tutor.config import load_settings
from tutor.store import open_store
from tutor.tui.app import TutorApp
from tutor.tui.screens.progress import ProgressScreen
from tutor.tui.widgets.run_log import RunLog

SIZE = (120, 40)
TINY_LAB = """\
import sys
print("loading data", flush=True)
print("step 1 loss 2.50", flush=True)
print("careful: tiny run", file=sys.stderr, flush=True)
print("step 2 loss 1.25", flush=True)
"""


def notes(app) -> list[str]:
    return [m.source for m in app.query(".note").results(Markdown)]


async def test_run_lab_streams_the_log_and_stores_the_run_record(plain_settings, tmp_path, monkeypatch):
    lab = tmp_path / "labs" / "lesson_01"
    lab.mkdir(parents=True)
    (lab / "starter.py").write_text(TINY_LAB)
    monkeypatch.chdir(tmp_path)
    store = open_store(plain_settings)
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings, store=store, lesson=1))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.press("ctrl+r")
        run_log = app.query_one("#run-log", RunLog)
        assert run_log.has_class("open") and "starter.py" in str(run_log.query_one(".run-title").render())
        await wait_until(pilot, lambda: not run_log.running, timeout=120)
        output = run_log.output
        assert "step 1 loss 2.50" in output and "step 2 loss 1.25" in output
        assert "[stderr] careful: tiny run" in output
        record = str(run_log.query_one(".run-record").render())
        assert "result: ok" in record and "stored in your progress" in record
        assert any("Lab run finished" in n for n in notes(app))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not run_log.has_class("open"))
    runs = store.runs("ada")
    assert len(runs) == 1 and runs[0]["lesson"] == 1 and runs[0]["reason"] == "ok"
    assert runs[0]["command"] == ["python", "starter.py"]
    assert sorted(p.name for p in lab.iterdir()) == ["starter.py"]  # a scratch copy ran, not the folder


async def test_run_lab_without_a_lab_says_so(plain_settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings, lesson=1))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: any("has no lab to run" in n for n in notes(app)))
        assert not app.query_one("#run-log", RunLog).has_class("open")


async def test_self_check_grades_the_lab_folder_and_shows_the_rubric_table(small_course, tmp_path, monkeypatch):
    settings = load_settings(model="offline", course=small_course)
    shutil.copytree(REPO / "curriculum" / "labs" / "lesson_01", tmp_path / "labs" / "lesson_01")
    monkeypatch.chdir(tmp_path)
    app = TutorApp(settings, backend=ScriptedBackend(settings, lesson=1))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: any("| criterion |" in n or "failed" in n for n in notes(app)), timeout=120)
        report = next(n for n in notes(app) if "| criterion |" in n)
        assert "reproducibility" in report or "implementation" in report
    assert not (tmp_path / "labs" / "lesson_01" / "report.json").exists()  # a self-check writes nothing


async def test_self_check_without_a_lab_folder_says_where_it_looked(plain_settings, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings, lesson=1))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: any("No lab folder to grade" in n for n in notes(app)))
        assert app.query_one("#prompt").value == ""


async def test_progress_screen_shows_statuses_grades_misconceptions_and_where_we_left_off(plain_settings, monkeypatch):
    store = open_store(plain_settings)
    populate(store, monkeypatch)
    app = TutorApp(plain_settings, backend=ScriptedBackend(plain_settings, store=store))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ProgressScreen))
        table = app.screen.query_one("#progress-lessons", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0] == ["01 Tokenization", "✔ passed", "1", "85%"]
        assert rows[1] == ["02 Embeddings", "◐ in progress", "0", "-"]
        text = app.screen.query_one("#progress-notes", Markdown).source
        assert "lesson 2; last topics: cosine vs dot" in text and "Run the bow/tfidf comparison" in text
        assert "tokens_are_words" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ProgressScreen))


async def test_quitting_during_a_lab_run_asks_for_a_second_ctrl_q(plain_settings, tmp_path, monkeypatch):
    lab = tmp_path / "labs" / "lesson_01"
    lab.mkdir(parents=True)
    (lab / "starter.py").write_text("import time\nprint('started', flush=True)\ntime.sleep(15)\n")
    monkeypatch.chdir(tmp_path)
    backend = ScriptedBackend(plain_settings, lesson=1)
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.press("ctrl+r")
        run_log = app.query_one("#run-log", RunLog)
        await wait_until(pilot, lambda: run_log.query(".run-output") and "started" in run_log.output, timeout=60)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app.is_running and backend.ended == 0  # warned, not gone
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: backend.ended == 1)
    assert not app.is_running


def test_long_lesson_titles_are_shortened_in_the_progress_table():
    from tutor.tui.screens.progress import short

    title = "05 The transformer block: residuals, normalisation and the feed-forward network"
    assert short(title) == title[:45] + "…" and len(short(title)) == 46
    assert short("01 Tokenization") == "01 Tokenization"
