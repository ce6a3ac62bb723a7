"""Each table written through the API and read back as plain dicts, and the rules the API
enforces: status never regresses from passed, text kept only when both switches allow it."""

from __future__ import annotations

import shutil

import pytest

from tests.store.store_support import make_settings, sample_report, sample_run
from tutor.store import open_store


def test_open_store_creates_the_db_under_tutor_home_and_reopens_cheaply(tutor_home, store):
    assert store.path == tutor_home / "progress.db" and store.path.is_file()
    from tutor.store import schema

    assert store.schema_version == schema.head() == "0003"
    store.ensure_learner("alice")
    assert open_store(make_settings(tutor_home)).learners() == ["alice"]


def test_profile_is_none_until_saved_and_updates_field_by_field(store):
    store.ensure_learner("alice")
    assert store.get_profile("alice") is None
    store.save_profile("alice", name="Alice", goals="serve Nemotron", experience="some ML",
                       learning_style="hands-on", python_fluency="fluent")
    store.save_profile("alice", goals="fine-tune a model")
    profile = store.get_profile("alice")
    assert (profile["name"], profile["goals"], profile["python_fluency"]) == ("Alice", "fine-tune a model", "fluent")


def test_unknown_profile_field_is_refused(store):
    with pytest.raises(ValueError, match="unknown profile field.*favourite_colour"):
        store.save_profile("alice", favourite_colour="blue")


def test_status_never_moves_back_from_passed_and_submissions_count_attempts(store):
    store.set_lesson_status("alice", 4, "in_progress")
    store.set_lesson_status("alice", 4, "submitted")
    store.set_lesson_status("alice", 4, "submitted")
    store.set_lesson_status("alice", 4, "passed")
    store.set_lesson_status("alice", 4, "in_progress")
    store.set_lesson_status("alice", 4, "not_started")
    [row] = store.lesson_progress("alice")
    assert (row["status"], row["attempts"]) == ("passed", 2)
    assert row["started_at"] <= row["submitted_at"] <= row["passed_at"]
    assert store.lesson_statuses("alice") == {4: "passed"}


def test_a_failed_submission_can_go_back_to_in_progress(store):
    store.set_lesson_status("alice", 5, "submitted")
    store.set_lesson_status("alice", 5, "in_progress")
    assert store.lesson_statuses("alice") == {5: "in_progress"}


def test_bad_status_and_bad_lesson_are_refused(store):
    with pytest.raises(ValueError, match="unknown lesson status"):
        store.set_lesson_status("alice", 1, "done")
    with pytest.raises(ValueError, match="lesson must be"):
        store.set_lesson_status("alice", "one", "passed")


def test_side_records_do_not_move_the_current_lesson(store):
    """A prerequisite misconception, a contract event about another lab, or an instructor's grading
    run says nothing about where the learner is working."""
    store.record_turn("alice", 9, message="m", reply="r", intent="concept", action="explain")
    store.record_misconception("alice", 3, "temperature-changes-ranking", "temperature reorders tokens")
    store.record_contract_event("alice", 12, "outsourcing_request", "coach")
    store.record_submission("alice", 4, "hash", "/subs/alice", {"total": 0.5, "pass_score": 0.6})
    assert store.current_lesson("alice") == 9


def test_current_lesson_follows_the_latest_activity(store):
    assert store.current_lesson("alice") is None
    store.record_turn("alice", 2, message="m", reply="r", intent="concept", action="explain")
    store.record_run("alice", None, sample_run())
    assert store.current_lesson("alice") == 2
    store.save_summary("alice", 7, "started lesson 7", [])
    assert store.current_lesson("alice") == 7


def test_turn_round_trip_keeps_metadata_and_text_and_starts_the_lesson(store):
    turn_id = store.record_turn("alice", 3, message="why GQA?", reply="fewer KV heads", intent="concept",
                                action="explain", citations=[{"lesson": 3, "anchor": "gqa"}],
                                guard=[{"rule": "max_code_lines", "action": "rewrite_to_coaching"}],
                                misconceptions=["gqa_loses_quality"], model="vllm:nemotron")
    [turn] = store.recent_turns("alice")
    assert turn["id"] == turn_id
    assert (turn["message"], turn["reply"], turn["text_logged"]) == ("why GQA?", "fewer KV heads", True)
    assert turn["citations"] == [{"lesson": 3, "anchor": "gqa"}]
    assert turn["guard"][0]["rule"] == "max_code_lines" and turn["misconceptions"] == ["gqa_loses_quality"]
    assert turn["model"] == "vllm:nemotron"
    assert store.lesson_statuses("alice") == {3: "in_progress"}


def test_recent_turns_are_the_last_n_oldest_first_and_filter_by_lesson(store):
    for i in range(5):
        store.record_turn("alice", 1 + i % 2, message=f"m{i}", reply="r", intent="concept", action="explain")
    assert [t["message"] for t in store.recent_turns("alice", limit=3)] == ["m2", "m3", "m4"]
    assert [t["message"] for t in store.recent_turns("alice", lesson=2)] == ["m1", "m3"]


def test_turn_text_is_not_stored_when_the_setting_turns_logging_off(tutor_home):
    store = open_store(make_settings(tutor_home, log_text=False))
    store.record_turn("alice", 1, message="my secret plan", reply="a reply", intent="concept", action="explain",
                      citations=[{"lesson": 1}])
    store.record_misconception("alice", 1, "softmax_is_linear", "my secret plan again")
    [turn] = store.recent_turns("alice")
    assert (turn["message"], turn["reply"], turn["text_logged"]) == (None, None, False)
    assert (turn["intent"], turn["citations"]) == ("concept", [{"lesson": 1}])
    assert store.open_misconceptions("alice")[0]["evidence"] is None
    store.close()
    assert b"my secret plan" not in _db_bytes(tutor_home)


def test_turn_text_is_not_stored_when_the_contract_turns_logging_off(tutor_home, repo_root, tmp_path):
    course = tmp_path / "course"
    shutil.copytree(repo_root / "curriculum", course / "curriculum")
    agents = (repo_root / "AGENTS.md").read_text()
    assert "log_conversation_text: true" in agents
    (course / "AGENTS.md").write_text(agents.replace("log_conversation_text: true", "log_conversation_text: false"))
    store = open_store(make_settings(tutor_home, course=str(course)))
    assert store.text_logging is False
    store.record_turn("alice", 1, message="hello", reply="hi", intent="concept", action="explain")
    assert store.recent_turns("alice")[0]["message"] is None


def test_a_caller_can_keep_one_turn_text_out(store):
    store.record_turn("alice", 1, message="paste of my key", reply="r", intent="debug", action="debug", log_text=False)
    assert store.recent_turns("alice")[0]["message"] is None


def test_misconceptions_open_newest_first_until_resolved(store):
    store.record_misconception("alice", 2, "softmax_is_linear", "it's linear, right?")
    store.record_misconception("alice", 3, "kv_quadratic", "grows with n^2")
    store.record_misconception("alice", 3, "softmax_is_linear", "still linear")
    assert [m["misconception_id"] for m in store.open_misconceptions("alice")] == [
        "softmax_is_linear", "kv_quadratic", "softmax_is_linear"]
    store.resolve_misconception("alice", "softmax_is_linear")
    [left] = store.open_misconceptions("alice")
    assert (left["misconception_id"], left["evidence"]) == ("kv_quadratic", "grows with n^2")
    assert store.open_misconceptions("alice", lesson=2) == []


def test_contract_events_round_trip_and_filter_by_learner(store):
    store.record_contract_event("alice", 3, "outsourcing_request", "coach", "asked for the whole lab")
    store.record_contract_event("bob", 3, "max_code_lines", "rewrite_to_coaching")
    events = store.contract_events()
    assert [(e["learner"], e["rule"]) for e in events] == [("alice", "outsourcing_request"), ("bob", "max_code_lines")]
    assert store.contract_events("alice")[0]["detail"] == "asked for the whole lab"


def test_submission_keeps_scores_checks_judge_and_the_whole_report(store):
    store.record_submission("alice", 3, "h-1", "/subs/alice", sample_report(judge_model="vllm:nemotron"))
    [sub] = store.submissions("alice")
    assert (sub["total"], sub["passed"], sub["judge_model"]) == (0.72, True, "vllm:nemotron")
    assert {c["criterion"]: c["score"] for c in sub["criteria"]} == {"implementation": 1.0, "reflection": 0.75}
    assert sub["checks"]["failed"] == 1
    found = store.find_submission("h-1", 3)
    assert found["report"]["criteria"][1]["evidence"] == ["tokens/s went from 41 to 77"]
    assert found["check_results"][1]["message"] == "1 run, need 3"
    assert store.lesson_statuses("alice") == {3: "passed"}


def test_failing_submission_marks_submitted_and_find_returns_the_latest(store):
    store.record_submission("bob", 3, "h-2", "/subs/bob", sample_report(name="bob", total=0.4, passed=False,
                                                                        content_hash="h-2"))
    assert store.lesson_statuses("bob") == {3: "submitted"}
    store.record_submission("bob", 3, "h-2", "/subs/bob", sample_report(name="bob", total=0.7, passed=None,
                                                                        content_hash="h-2"))
    assert store.find_submission("h-2", 3)["total"] == 0.7
    assert store.lesson_statuses("bob") == {3: "passed"}  # passed read from total >= pass_score
    assert store.lesson_progress("bob")[0]["attempts"] == 2
    assert store.find_submission("h-2", 4) is None


def test_secret_looking_keys_never_reach_the_db(tutor_home, store):
    report = sample_report(extra={"judge": {"ran": True, "model": "openai:gpt", "api_key": "sk-test-SECRET-123"}})
    store.record_submission("alice", 3, "h-1", "/subs/alice", report)
    store.record_run("alice", 3, {**sample_run(), "env": {"OPENAI_API_KEY": "sk-test-SECRET-456"}})
    assert store.find_submission("h-1", 3)["report"]["judge"]["api_key"] == "[removed]"
    store.close()
    assert b"sk-test-SECRET" not in _db_bytes(tutor_home)


def test_runs_round_trip_newest_first(store):
    store.record_run("alice", 3, sample_run("r-1"))
    store.record_run("alice", None, sample_run("r-2", reason="timeout"))
    runs = store.runs("alice")
    assert [(r["run_id"], r["reason"], r["lesson"]) for r in runs] == [("r-2", "timeout", None), ("r-1", "ok", 3)]
    assert runs[1]["command"] == ["python", "starter.py", "--smoke"] and runs[1]["record"]["backend"] == "process"
    assert [r["run_id"] for r in store.runs(lesson=3)] == ["r-1"]
    assert len(store.runs("alice", limit=1)) == 1


def test_latest_summary_is_the_newest(store):
    assert store.latest_summary("alice") is None
    store.save_summary("alice", 2, "measured softmax", ["write notes"])
    store.save_summary("alice", 3, "started the KV cache lab", ["fill in kv_bytes", "run --smoke"])
    latest = store.latest_summary("alice")
    assert (latest["lesson"], latest["where_left_off"], latest["next_steps"]) == (
        3, "started the KV cache lab", ["fill in kv_bytes", "run --smoke"])
    assert latest["created_at"].endswith("+00:00")


def test_results_are_plain_data_usable_after_the_store_is_closed(store):
    store.record_turn("alice", 1, message="m", reply="r", intent="concept", action="explain")
    turns, matrix = store.recent_turns("alice"), store.cohort_matrix()
    store.close()
    assert isinstance(turns[0], dict) and turns[0]["message"] == "m"
    assert matrix["rows"][0]["cells"][1]["status"] == "in_progress"


def _db_bytes(home) -> bytes:
    return b"".join(p.read_bytes() for p in home.glob("progress.db*"))
