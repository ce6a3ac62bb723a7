"""Many processes writing at once, and a writer killed mid-transaction: nothing lost, nothing
half-written, PRAGMA integrity_check clean afterwards."""

from __future__ import annotations

import multiprocessing
import os
import signal

import pytest

from tests.store.store_support import die_mid_transaction, make_settings, write_turns
from tutor.store import open_store

WORKERS, TURNS_EACH = 8, 25


@pytest.fixture
def spawn():
    return multiprocessing.get_context("spawn")


def test_eight_processes_writing_at_once_lose_no_row(tutor_home, spawn):
    barrier = spawn.Barrier(WORKERS)
    procs = [spawn.Process(target=write_turns, args=(str(tutor_home), w, TURNS_EACH, barrier)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
    assert [p.exitcode for p in procs] == [0] * WORKERS

    store = open_store(make_settings(tutor_home))
    assert store.integrity_check() == "ok"
    assert sorted(store.learners()) == [f"w{w}" for w in range(WORKERS)]
    for w in range(WORKERS):
        turns = store.recent_turns(f"w{w}", limit=1000)
        assert [t["message"] for t in turns] == [f"w{w} message {i}" for i in range(TURNS_EACH)]
        assert store.lesson_statuses(f"w{w}")[1] == "submitted"
    assert store.frequent_misconceptions(lesson=2)[0]["count"] == WORKERS
    assert sum(c["refusals"] for c in store.contract_event_counts()) == WORKERS


def test_writer_killed_mid_transaction_leaves_committed_rows_and_nothing_else(tutor_home, spawn):
    store = open_store(make_settings(tutor_home))
    store.record_turn("bystander", 2, message="written first", reply="ok", intent="concept", action="explain")
    ready = spawn.Event()
    child = spawn.Process(target=die_mid_transaction, args=(str(tutor_home), ready, 200))
    child.start()
    try:
        assert ready.wait(timeout=120), "the child never reached its open transaction"
        wal = store.path.with_name(store.path.name + "-wal")
        assert wal.stat().st_size > 1_000_000, "the killed transaction's pages should have reached the WAL"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.join(timeout=60)
    assert child.exitcode == -signal.SIGKILL

    store.close()
    reopened = open_store(make_settings(tutor_home))
    assert reopened.integrity_check() == "ok"
    assert [t["message"] for t in reopened.recent_turns("victim")] == ["committed before the crash"]
    assert [t["message"] for t in reopened.recent_turns("bystander")] == ["written first"]
    assert all(t["intent"] != "doomed" for t in reopened.recent_turns("victim", limit=1000))
    # the dead writer's lock is gone: the next write goes straight through
    reopened.record_turn("victim", 1, message="after the crash", reply="ok", intent="concept", action="explain")
    assert len(reopened.recent_turns("victim")) == 2
