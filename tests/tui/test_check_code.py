"""F3 / "Check my code" in the app: the lab's checks on labs/lesson_NN in the sandbox, per-TODO
results in the check panel, and each TODO's status in the lab view (the sidebar)."""

from types import SimpleNamespace

import pytest

from sandbox import host
from tests.agent.near_misses import first_attempt, learner_lab, reference_functions
from tests.tui.conftest import REPO, wait_until
from tests.tui.doubles import ScriptedBackend
from tutor.store import open_store
from tutor.tui.app import TutorApp
from tutor.tui.widgets.check_panel import CheckPanel
from tutor.tui.widgets.lab_todos import LabTodos

SIZE = (120, 40)
needs_bwrap = pytest.mark.skipif(host.bwrap_problem() is not None,
                                 reason=f"bubblewrap unusable here: {host.bwrap_problem()}")


@pytest.fixture(scope="module")
def course():
    from tutor.agent.context import load_course_tolerantly

    return load_course_tolerantly(REPO)


def backend_for(settings, course, store):
    from tutor.agent.course_view import course_view

    backend = ScriptedBackend(settings, store=store, course=course, lesson=1)
    backend.ctx = SimpleNamespace(view=course_view(course), settings=settings, store=store, learner_id="ada")
    return backend


@needs_bwrap
async def test_f3_checks_the_lab_folder_and_the_lab_view_shows_each_todo(plain_settings, course, tmp_path,
                                                                         monkeypatch):
    lab = learner_lab(tmp_path, first_attempt(1, "count_pairs")["code"], reference_functions(1)["merge_pair"])
    before = sorted(p.name for p in lab.iterdir())
    monkeypatch.chdir(tmp_path)
    store = open_store(plain_settings)
    app = TutorApp(plain_settings, backend=backend_for(plain_settings, course, store))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        todos = app.query_one("#lab-todos", LabTodos)
        assert todos.has_class("open") and todos.todos == [("count_pairs", None), ("merge_pair", None), ("encode", None)]
        await pilot.press("f3")
        panel = app.query_one("#check-panel", CheckPanel)
        assert panel.has_class("open")
        await wait_until(pilot, lambda: not panel.running, timeout=120)
        body = panel.body
        assert "✘ count_pairs  fails a check at docstring_example (2/4 pass)" in body
        assert "hint: A word that occurs five times" in body
        assert "✔ merge_pair  all 4 checks pass" in body and "○ encode  not started" in body
        await wait_until(pilot, lambda: todos.status_of("merge_pair") == "passed")
        assert todos.todos == [("count_pairs", "failed"), ("merge_pair", "passed"), ("encode", None)]
        assert "✔ merge_pair  passes its checks" in str(todos.render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: not panel.has_class("open"))
    assert sorted(p.name for p in lab.iterdir()) == before  # the checks ran on a scratch copy
    assert [a["todo"] for a in store.check_attempts("ada", 1)] == ["count_pairs", "merge_pair"]


async def test_the_palette_entry_without_a_lab_folder_says_where_it_looked(plain_settings, course, tmp_path,
                                                                           monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = TutorApp(plain_settings, backend=backend_for(plain_settings, course, open_store(plain_settings)))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        command = next(c for c in app.get_system_commands(app.screen) if c.title == "Check my code")
        command.callback()
        panel = app.query_one("#check-panel", CheckPanel)
        await wait_until(pilot, lambda: panel.has_class("open") and not panel.running)
        assert "expected labs/lesson_01/starter.py" in panel.body
