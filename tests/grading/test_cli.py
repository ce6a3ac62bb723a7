"""`tutor grade` from the command line: outputs, exit codes, where reports go."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tutor.cli import app

from tests.grading.grading_support import CALIBRATION, judge_reply


def invoke(*args):
    return CliRunner().invoke(app, ["grade", *map(str, args)])


def test_json_output_lists_every_submission(strong_lab, weak_lab):
    result = invoke(strong_lab, weak_lab, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["graded"] == 2 and data["not_gradable"] == 0
    assert [r["submission"]["name"] for r in data["submissions"]] == ["lesson_01_strong", "lesson_01_weak"]


def test_fail_under_exits_1_when_a_total_is_below(strong_lab, weak_lab):
    assert invoke(strong_lab, "--fail-under", "0.9").exit_code == 0
    assert invoke(weak_lab, "--fail-under", "90").exit_code == 1


def test_out_dir_junit_and_gradescope_files(strong_lab, tmp_path):
    out, junit = tmp_path / "reports", tmp_path / "junit.xml"
    result = invoke(strong_lab, "--out", out, "--junit", junit, "--format", "gradescope")
    assert result.exit_code == 0, result.output
    assert (out / "lesson_01_strong" / "report.json").is_file()
    assert (out / "lesson_01_strong" / "results.json").is_file()
    assert not (strong_lab / "grading").exists()
    assert junit.read_text().startswith('<?xml version="1.0"')


def test_a_second_run_skips_the_unchanged_submission(strong_lab):
    invoke(strong_lab)
    data = json.loads(invoke(strong_lab, "--json").stdout)
    assert data["skipped_unchanged"] == 1
    data = json.loads(invoke(strong_lab, "--json", "--force").stdout)
    assert data["skipped_unchanged"] == 0


def test_replay_judge_through_the_model_setting(strong_lab, tmp_path, monkeypatch):
    replies = tmp_path / "judge.jsonl"
    replies.write_text(json.dumps({"content": judge_reply(3, ["2.436 at 800"])}) + "\n")
    monkeypatch.setenv("TUTOR_JUDGE_MODEL", f"replay:{replies}")
    data = json.loads(invoke(strong_lab, "--json", "--samples", "1").stdout)
    report = data["submissions"][0]
    assert report["judge"]["ran"] and all(c["judged"] for c in report["criteria"])


def test_calibrate_offline_prints_agreement_per_criterion():
    result = invoke("--calibrate", CALIBRATION, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["judge_ran"] is False and set(data["criteria"]) >= {"reflection", "reproducibility"}
    assert data["criteria"]["reproducibility"]["kappa"] is not None


def test_unknown_format_is_bad_usage(strong_lab):
    result = invoke(strong_lab, "--format", "moodle")
    assert result.exit_code == 2 and "gradescope" in result.output
