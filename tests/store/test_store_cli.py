"""`tutor progress` and `tutor instructor ...` on a populated store, run as a user would
(`python -m tutor`), and `tutor grade` writing its reports into the store."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tests.store.store_support import make_settings, sample_report, sample_run
from tutor.store import open_store


def tutor(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "tutor", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


@pytest.fixture
def populated(tutor_home):
    store = open_store(make_settings(tutor_home))
    store.save_profile("alice", name="Alice", goals="serve Nemotron", experience="some", learning_style="hands-on",
                       python_fluency="fluent")
    store.record_turn("alice", 3, message="why GQA?", reply="...", intent="concept", action="explain")
    store.record_misconception("alice", 3, "kv_quadratic", "grows with n^2")
    store.record_contract_event("alice", 3, "outsourcing_request", "coach")
    store.record_run("alice", 3, sample_run())
    store.record_submission("alice", 3, "h-1", "/subs/alice", sample_report())
    store.save_summary("alice", 3, "graded lesson 3", ["start lesson 4"])
    store.record_turn("=bob", 1, message="hi", reply="...", intent="concept", action="explain")
    return store


def test_progress_json_shows_lessons_grades_and_where_we_left_off(populated):
    result = tutor("progress", "--learner", "alice", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["profile"]["name"] == "Alice" and data["current_lesson"] == 3
    assert [(r["lesson"], r["status"], r["grade"]) for r in data["lessons"]] == [(3, "passed", 0.72)]
    assert data["where_left_off"]["next_steps"] == ["start lesson 4"]
    assert [m["misconception_id"] for m in data["open_misconceptions"]] == ["kv_quadratic"]


def test_instructor_report_json_has_matrix_misconceptions_and_events(populated):
    result = tutor("instructor", "report", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["learners"] == 2 and data["cohort"]["lessons"] == [1, 3]
    cells = {r["learner"]: r["cells"] for r in data["cohort"]["rows"]}
    assert cells["alice"]["3"] == {"status": "passed", "grade": 0.72, "attempts": 1, "duplicate_of": []}
    assert data["frequent_misconceptions"][0]["misconception_id"] == "kv_quadratic"
    assert data["contract_events"][0] == {"learner": "alice", "refusals": 1, "rewrites": 0, "total": 1}


def test_instructor_report_text_is_a_grid(populated):
    result = tutor("instructor", "report")
    assert result.returncode == 0, result.stderr
    assert "Cohort: 2 learners" in result.stdout
    alice = next(line for line in result.stdout.splitlines() if line.startswith("alice"))
    assert alice.split() == ["alice", ".", "P", "72%"]


def test_instructor_learner_json_has_the_timeline(populated):
    result = tutor("instructor", "learner", "alice", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [e["kind"] for e in data["timeline"]] == ["turn", "misconception", "contract_event", "run",
                                                     "submission", "summary"]
    assert data["submissions"][0]["criteria"][1]["criterion"] == "reflection"
    assert "record" not in data["runs"][0]


def test_unknown_learner_is_bad_input_with_one_line(populated):
    for args in (("instructor", "learner", "nobody"), ("progress", "--learner", "nobody")):
        result = tutor(*args)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            f"tutor: no learner 'nobody' in {populated.path}; known learners: =bob, alice"]


def test_export_csv_and_json_files(populated, tmp_path):
    out_csv, out_json = tmp_path / "cohort.csv", tmp_path / "cohort.json"
    result = tutor("instructor", "export", "--csv", out_csv, "--json", out_json)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out_csv.open()))
    assert [(r["learner"], r["lesson"], r["status"], r["grade"]) for r in rows] == [
        ("'=bob", "1", "in_progress", ""), ("alice", "3", "passed", "0.72")]
    data = json.loads(out_json.read_text())
    assert {entry["learner"] for entry in data["learners"]} == {"=bob", "alice"}
    assert data["cohort"]["rows"][1]["cells"]["3"]["grade"] == 0.72
    assert "why GQA?" not in out_json.read_text()  # exports hold no conversation text


def test_export_needs_a_target_and_an_existing_folder(populated, tmp_path):
    nothing = tutor("instructor", "export")
    assert nothing.returncode == 2 and "give --csv FILE" in nothing.stderr
    missing = tutor("instructor", "export", "--csv", tmp_path / "no" / "such.csv")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_instructor_without_subcommand_opens_the_instructor_screen(tutor_home, monkeypatch):
    from tutor.cli import app
    from tutor.tui import instructor as screen

    opened = []
    monkeypatch.setattr(screen, "run_instructor", lambda settings: opened.append(settings.db_path))
    result = CliRunner().invoke(app, ["instructor"])
    assert result.exit_code == 0, result.output
    assert opened == [tutor_home / "progress.db"]


def test_grading_writes_the_submission_into_the_store(tutor_home, repo_root, tmp_path):
    lab = repo_root / "rubrics" / "calibration" / "lesson_01_strong"
    out = tmp_path / "reports"
    first = tutor("grade", lab, "--no-judge", "--out", out, "--json")
    assert first.returncode in (0, 1), first.stderr
    report = json.loads((out / lab.name / "report.json").read_text())

    store = open_store(make_settings(tutor_home))
    found = store.find_submission(report["submission"]["content_hash"], 1)
    assert found is not None and found["learner"] == "lesson_01_strong"
    assert found["report"]["total"] == report["total"]
    assert len(found["criteria"]) == len(report["criteria"])
    expected = "passed" if report["passed"] else "submitted"
    assert store.lesson_statuses("lesson_01_strong") == {1: expected}


def test_instructor_learner_shows_check_attempts_per_todo(populated):
    populated.record_check_attempts("alice", 1, [{"todo": "merge_pair", "status": "failed", "check_id": "overlapping_pairs"}])
    populated.record_check_attempts("alice", 1, [{"todo": "merge_pair", "status": "failed", "check_id": "overlapping_pairs"}])
    populated.record_check_attempts("alice", 1, [{"todo": "merge_pair", "status": "passed"}], "paste")
    result = tutor("instructor", "learner", "alice")
    assert result.returncode == 0, result.stderr
    assert ("lesson 1 merge_pair: 3 tries, passed on try 3; held longest by overlapping_pairs (2x)"
            in result.stdout)
    assert "check merge_pair: failed at overlapping_pairs" in result.stdout
