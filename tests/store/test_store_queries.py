"""The instructor's questions: timeline, cohort matrix, frequent misconceptions, contract events."""

from __future__ import annotations

from tests.store.store_support import sample_report, sample_run


def test_timeline_has_every_kind_in_time_order(store):
    store.save_summary("alice", 2, "finished lesson 2", ["start lesson 3"])
    store.record_turn("alice", 3, message="what is GQA?", reply="...", intent="concept", action="explain")
    store.record_misconception("alice", 3, "gqa_loses_quality", "GQA must hurt quality")
    store.record_contract_event("alice", 3, "outsourcing_request", "coach")
    store.record_run("alice", 3, sample_run("r-9", duration_s=2.5))
    store.record_submission("alice", 3, "h-1", "/subs/alice", sample_report())
    store.record_turn("bob", 3, message="not alice's", reply="...", intent="concept", action="explain")

    events = store.timeline("alice")
    assert [e["kind"] for e in events] == ["summary", "turn", "misconception", "contract_event", "run", "submission"]
    assert [e["time"] for e in events] == sorted(e["time"] for e in events)
    assert all({"time", "kind", "lesson", "summary"} <= set(e) for e in events)
    summaries = [e["summary"] for e in events]
    assert summaries[1] == "concept -> explain: what is GQA?"
    assert summaries[4] == "run r-9: ok in 2.5 s"
    assert summaries[5] == "graded 72% (passed)"


def test_cohort_matrix_fills_every_seen_lesson_with_status_and_latest_grade(store):
    store.set_lesson_status("alice", 1, "passed")
    store.record_submission("alice", 2, "h-a", "/subs/alice", sample_report(lesson=2, total=0.4, passed=False))
    store.record_submission("alice", 2, "h-b", "/subs/alice", sample_report(lesson=2, total=0.8, passed=True))
    store.record_turn("bob", 5, message="m", reply="r", intent="concept", action="explain")
    store.ensure_learner("carol")

    matrix = store.cohort_matrix()
    assert matrix["lessons"] == [1, 2, 5]
    rows = {r["learner"]: r["cells"] for r in matrix["rows"]}
    assert list(rows) == ["alice", "bob", "carol"]
    assert rows["alice"][2] == {"status": "passed", "grade": 0.8, "attempts": 2, "duplicate_of": []}
    assert rows["alice"][5] == {"status": "not_started", "grade": None, "attempts": 0, "duplicate_of": []}
    assert rows["bob"][5]["status"] == "in_progress"
    assert all(cell["status"] == "not_started" for cell in rows["carol"].values())


def test_frequent_misconceptions_rank_per_lesson_with_open_counts(store):
    for learner in ("a", "b", "c"):
        store.record_misconception(learner, 3, "kv_quadratic", "e")
    store.record_misconception("a", 3, "gqa_loses_quality", "e")
    store.record_misconception("a", 3, "gqa_loses_quality", "e")
    store.record_misconception("b", 3, "rare_one", "e")
    store.record_misconception("a", 4, "moe_all_experts_run", "e")
    store.resolve_misconception("a", "kv_quadratic")

    top = store.frequent_misconceptions(lesson=3, limit=2)
    assert [(m["misconception_id"], m["count"], m["open"], m["learners"]) for m in top] == [
        ("kv_quadratic", 3, 2, 3), ("gqa_loses_quality", 2, 2, 1)]
    every = store.frequent_misconceptions(limit=1)
    assert [(m["lesson"], m["misconception_id"]) for m in every] == [(3, "kv_quadratic"), (4, "moe_all_experts_run")]


def test_contract_event_counts_split_refusals_from_rewrites(store):
    store.record_contract_event("alice", 3, "outsourcing_request", "coach")
    store.record_contract_event("alice", 3, "max_code_lines", "rewrite_to_coaching")
    store.record_contract_event("alice", 3, "todo_stub_filled", "rewrite_to_coaching")
    store.record_contract_event("bob", 1, "report_request", "refuse")
    store.ensure_learner("carol")
    assert store.contract_event_counts() == [
        {"learner": "alice", "refusals": 1, "rewrites": 2, "total": 3},
        {"learner": "bob", "refusals": 1, "rewrites": 0, "total": 1},
        {"learner": "carol", "refusals": 0, "rewrites": 0, "total": 0},
    ]


def test_progress_rows_join_grades_and_counts_per_lesson(store):
    store.record_submission("alice", 3, "h-1", "/subs/alice", sample_report())
    store.record_misconception("alice", 3, "kv_quadratic", "e")
    store.record_contract_event("alice", 3, "outsourcing_request", "coach")
    store.record_contract_event("alice", 4, "outsourcing_request", "coach")
    store.record_turn("bob", 4, message="m", reply="r", intent="concept", action="explain")
    [row, other] = store.progress_rows()
    assert (row["learner"], row["lesson"], row["status"], row["grade"]) == ("alice", 3, "passed", 0.72)
    assert (row["submissions"], row["open_misconceptions"], row["contract_events"]) == (1, 1, 1)
    assert row["passed_at"].endswith("+00:00")
    assert (other["learner"], other["lesson"], other["status"], other["grade"]) == ("bob", 4, "in_progress", None)
    assert (other["submissions"], other["contract_events"]) == (0, 0)
