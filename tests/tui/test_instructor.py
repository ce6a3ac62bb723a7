"""Pilot tests of the instructor screens on a store populated in the test."""

import csv

import pytest
from textual.widgets import DataTable, Input, Markdown, Static

from tests.tui.conftest import wait_until
from tutor.tui.instructor.app import InstructorApp
from tutor.tui.instructor.export import ExportScreen
from tutor.tui.instructor.learner import LearnerScreen


@pytest.fixture
def settings(plain_settings):
    return plain_settings


@pytest.fixture
def store(cohort_store):
    return cohort_store


def cell_text(table: DataTable, row: int, column: int) -> str:
    return str(table.get_cell_at((row, column)))


async def test_cohort_table_shows_each_learner_with_status_and_latest_grade(settings, store):
    app = InstructorApp(settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.loaded)
        table = app.query_one("#cohort", DataTable)
        assert app.learner_ids == ["ada", "bo", "cy"]
        assert [str(c.label) for c in table.columns.values()][:3] == ["learner", "L1", "L2"]
        assert cell_text(table, 0, 1) == "✔ 85%"  # ada passed lesson 1
        assert cell_text(table, 0, 2) == "◐"  # ada is on lesson 2
        assert cell_text(table, 1, 1) == "● 40%"  # bo submitted and did not pass
        assert cell_text(table, 2, 1) == "○"  # cy has not started
        assert cell_text(table, 0, 3) == "1 / 0"  # ada's refusal
        assert "3 learners" in str(app.query_one("#cohort-title", Static).render())
        assert "tokens_are_words" in app.query_one("#cohort-notes", Markdown).source


async def test_an_empty_store_says_no_learners_yet(settings):
    app = InstructorApp(settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.loaded)
        assert "No learners recorded yet" in str(app.query_one("#cohort-title", Static).render())


async def test_enter_on_a_learner_opens_the_drill_down_with_grades_evidence_and_events(settings, store):
    app = InstructorApp(settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.loaded)
        await pilot.press("enter")  # ada is the first row
        await wait_until(pilot, lambda: isinstance(app.screen, LearnerScreen))
        screen = app.screen
        assert "Ada" in screen.query_one("#learner-head", Markdown).source
        assert "Run the bow/tfidf comparison" in screen.query_one("#learner-head", Markdown).source
        kinds = {str(row[1]) for row in (screen.query_one("#timeline", DataTable).get_row_at(i)
                                         for i in range(screen.query_one("#timeline", DataTable).row_count))}
        assert {"turn", "misconception", "contract_event", "run", "submission", "summary"} <= kinds
        evidence = screen.query_one("#grade-evidence", Markdown).source
        assert "measurement\\_quality" in evidence and "merges 0/200/800 measured at seed 0" in evidence  # Markdown-escaped
        events = screen.query_one("#events", DataTable)
        assert str(events.get_row_at(0)[2]) == "outsourcing_request"
        runs = screen.query_one("#runs", DataTable)
        assert str(runs.get_row_at(0)[2]) == "20260302-0905-aaaaaa"
        assert str(screen.query_one("#misconceptions", DataTable).get_row_at(0)[2]) == "tokens_are_words"
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LearnerScreen))


async def test_export_writes_the_store_csv_to_the_default_path_under_tutor_home(settings, store):
    app = InstructorApp(settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.loaded)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen))
        path = settings.home_dir / "exports" / "progress.csv"
        assert app.screen.query_one("#export-path", Input).value == str(path)
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExportScreen))
        rows = list(csv.DictReader(path.open()))
        assert {(r["learner"], r["lesson"], r["status"]) for r in rows} >= {("ada", "1", "passed"), ("bo", "1", "submitted")}
        assert "message" not in rows[0] and "reply" not in rows[0]  # the store's export: no conversation text


async def test_export_to_a_missing_folder_says_why_and_keeps_the_dialog(settings, store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = InstructorApp(settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.loaded)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, ExportScreen))
        app.screen.query_one("#export-path", Input).value = "no/such/folder/out.csv"
        await pilot.press("enter")
        problem = app.screen.query_one("#export-problem", Static)
        await wait_until(pilot, lambda: "does not exist" in str(problem.render()))
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one("#export-path", Input).value = "cohort.csv"  # the instructor chooses the cwd
        await pilot.press("enter")
        await wait_until(pilot, lambda: (tmp_path / "cohort.csv").exists())
        assert (tmp_path / "cohort.csv").read_text().startswith("learner,lesson,status")


async def test_instructor_help_lists_every_binding(settings):
    from tutor.tui.screens.help import HelpScreen, key_names

    app = InstructorApp(settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.loaded)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        for binding in InstructorApp.BINDINGS:
            assert f"{key_names(binding)}: {binding.tooltip or binding.description}" in app.screen.text
        assert "1-6: on a learner's page" in app.screen.text


async def test_number_keys_switch_the_drill_down_tabs(settings, store):
    from textual.widgets import TabbedContent

    app = InstructorApp(settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.loaded)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, LearnerScreen))
        await pilot.press("6")
        assert app.screen.query_one("#learner-tabs", TabbedContent).active == "tab-runs"
        await pilot.press("2")
        assert app.screen.query_one("#learner-tabs", TabbedContent).active == "tab-grades"


async def test_hostile_learner_text_is_literal_and_a_copy_is_marked(plain_settings):
    """Issue 13: a folder name with Rich markup and escape codes is shown as text, never applied;
    a submission identical to another learner's is marked in the cohort table."""
    from rich.text import Text

    from tests.store.store_support import sample_report
    from tutor.store import open_store
    from tutor.tui.instructor.learner import evidence_markdown

    hostile = "eve[reverse][blink]\x1b[2J"
    store = open_store(plain_settings)
    store.record_submission("alice", 1, "same", "/subs/alice", sample_report(name="alice", lesson=1, content_hash="same"))
    copied = sample_report(name=hostile, lesson=1, content_hash="same")
    copied["submission"]["duplicate_of"] = ["alice"]
    copied["criteria"][1]["rationale"] = "<script>x</script> # heading"
    store.record_submission(hostile, 1, "same", "/subs/eve", copied)
    app = InstructorApp(plain_settings)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_until(pilot, lambda: app.loaded)
        table = app.query_one("#cohort", DataTable)
        row = app.learner_ids.index(hostile)
        name = table.get_cell_at((row, 0))
        assert isinstance(name, Text) and name.plain == "eve[reverse][blink]\\x1b[2J" and not name.spans
        assert "copy" in cell_text(table, row, 1) and "copy" not in cell_text(table, app.learner_ids.index("alice"), 1)
    evidence = evidence_markdown(store.submissions(learner_id=hostile)[0] | {"criteria": [
        {"criterion": "reflection", "weight": 0.5, "score": 0.75, "level": "3", "source": "judge",
         "rationale": copied["criteria"][1]["rationale"], "evidence": ["[blink]\x1b[2J"]}]})
    assert "<script>" not in evidence and "\x1b" not in evidence and "same content as alice" in evidence
