"""Quitting at any moment stops the app's background work before the process exits: an index
build, a streaming reply, a lab run and a self-check (the real abort is in test_tmux_quit.py)."""

import threading
import time

from tests.tui.conftest import wait_until
from tests.tui.doubles import ScriptedBackend, Token
from tutor.store import open_store
from tutor.tui.app import TutorApp
from tutor.tui.shutdown import BackgroundWork
from tutor.tui.widgets.run_log import RunLog

SIZE = (120, 40)


async def test_quitting_while_the_index_builds_stops_the_build_and_leaves_no_thread(plain_settings):
    backend = ScriptedBackend(plain_settings)
    backend.index_steps = [(0, 860, "embedding")]
    backend.release_index = threading.Event()  # never released: only the quit can end the build
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "tutor-index" in app.work.running())
        started = time.monotonic()
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: backend.ended == 1)
    assert time.monotonic() - started < 10
    assert app.work.running() == [] and app.work.stop.is_set()


async def test_quitting_while_a_reply_streams_saves_and_exits(plain_settings):
    backend = ScriptedBackend(plain_settings, [Token("Half a repl"), "hang"])
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        app.prompt.value = "what is a token?"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.reply_worker is not None and app.reply_worker.is_running)
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: backend.ended == 1)
    assert not app.is_running and app.work.running() == []


async def test_quitting_during_a_lab_run_stops_the_run_and_stores_its_record(plain_settings, tmp_path, monkeypatch):
    lab = tmp_path / "labs" / "lesson_01"
    lab.mkdir(parents=True)
    (lab / "starter.py").write_text("import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    monkeypatch.chdir(tmp_path)
    store = open_store(plain_settings)
    backend = ScriptedBackend(plain_settings, lesson=1, store=store)
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.press("ctrl+r")
        run_log = app.query_one("#run-log", RunLog)
        await wait_until(pilot, lambda: "started" in run_log.output, timeout=60)
        started = time.monotonic()
        await pilot.press("ctrl+q", "ctrl+q")  # the second press confirms stopping the run
        await wait_until(pilot, lambda: backend.ended == 1, timeout=30)
    assert time.monotonic() - started < 20, "quitting waited for the lab instead of stopping it"
    assert app.work.running() == []
    runs = store.runs("ada")
    assert len(runs) == 1 and runs[0]["reason"] == "killed"


async def test_quitting_during_a_self_check_waits_for_it_with_a_bound(plain_settings, tmp_path, monkeypatch):
    calls, release = [], threading.Event()

    def slow_self_check(lesson, settings, learner="default"):
        calls.append(lesson)
        release.wait(10)  # still running until the test has seen it run (a fixed sleep raced a loaded machine)
        return "graded"

    monkeypatch.setattr("tutor.tui.labs.self_check", slow_self_check)
    backend = ScriptedBackend(plain_settings, lesson=1)
    app = TutorApp(plain_settings, backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.ready)
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: calls and "tutor-self-check" in app.work.running())
        threading.Timer(0.5, release.set).start()  # it ends while the quit waits for it
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: backend.ended == 1)
    assert app.work.running() == []


def test_stop_and_join_reports_a_thread_that_outlives_its_bound():
    work = BackgroundWork()
    release = threading.Event()
    work.start(lambda: release.wait(10), "stubborn")
    work.start(lambda: work.stop.wait(10), "polite")
    started = time.monotonic()
    assert work.stop_and_join(timeout=0.3) == ["stubborn"]
    assert time.monotonic() - started < 2
    release.set()
    assert work.stop_and_join(timeout=5) == []
