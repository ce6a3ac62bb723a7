"""Attempt history of `tutor check`: one row per tried TODO, and the per-TODO summary the
instructor timeline shows (tries until pass, the check that held the learner longest)."""

from __future__ import annotations

import pytest


def _run(store, *results, lesson=1, source="lab"):
    return store.record_check_attempts("alice", lesson, [dict(r) for r in results], source)


def test_tries_until_pass_and_the_check_that_held_longest(store):
    _run(store, {"todo": "count_pairs", "status": "failed", "check_id": "docstring_example"},
         {"todo": "merge_pair", "status": "not_started"})
    _run(store, {"todo": "count_pairs", "status": "failed", "check_id": "counts_weighted"})
    _run(store, {"todo": "count_pairs", "status": "failed", "check_id": "counts_weighted"},
         {"todo": "merge_pair", "status": "error"})
    _run(store, {"todo": "count_pairs", "status": "passed"}, source="paste")
    _run(store, {"todo": "count_pairs", "status": "failed", "check_id": "late_regression"})

    [count_pairs, merge_pair] = store.check_progress("alice")
    assert count_pairs == {"lesson": 1, "todo": "count_pairs", "tries": 5, "tries_until_pass": 4, "passed": True,
                           "latest": "failed", "held_longest": "counts_weighted", "held_tries": 2}
    assert merge_pair["tries"] == 1 and merge_pair["passed"] is False and merge_pair["tries_until_pass"] is None
    assert merge_pair["held_longest"] == "error"
    attempts = store.check_attempts("alice", 1)
    assert [a["source"] for a in attempts].count("paste") == 1
    assert all(a["todo"] != "merge_pair" or a["status"] != "not_started" for a in attempts)


def test_check_attempts_show_in_the_timeline(store):
    _run(store, {"todo": "count_pairs", "status": "failed", "check_id": "docstring_example"}, lesson=2)
    [event] = [e for e in store.timeline("alice") if e["kind"] == "check"]
    assert event["summary"] == "check count_pairs: failed at docstring_example" and event["lesson"] == 2


def test_hostile_values_are_bounded_and_unknown_statuses_dropped(store):
    assert _run(store, {"todo": "x" * 10_000, "status": "failed", "check_id": "y" * 10_000},
                {"todo": "t", "status": "DROP TABLE"}) == 1
    [row] = store.check_attempts("alice")
    assert len(row["todo"]) == 120 and len(row["check_id"]) == 120
    with pytest.raises(ValueError):
        store.record_check_attempts("alice", None, [])
