"""`tutor run`: the record it prints matches what the lab wrote; bad input is one line, exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tutor.cli import app

LESSON_01 = Path(__file__).resolve().parents[2] / "curriculum" / "labs" / "lesson_01"

METRICS_LAB = """
import json, os, sys
run_dir = os.environ["TUTOR_RUN_DIR"]
os.makedirs(run_dir, exist_ok=True)
metrics = {"loss": 1.25, "seed": int(os.environ["SEED"]), "argv": sys.argv[1:]}
json.dump(metrics, open(os.path.join(run_dir, "metrics.json"), "w"))
print("trained")
"""


def _invoke(*args: str):
    return CliRunner().invoke(app, ["run", *args])


def test_json_record_holds_the_labs_metrics(make_lab):
    lab = make_lab(METRICS_LAB)
    result = _invoke(str(lab), "--json", "--seed", "3", "--timeout", "30", "--", "python", "main.py", "--smoke")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    written = json.loads((Path(record["run_dir"]) / "metrics.json").read_text())
    assert record["metrics"] == written == {"loss": 1.25, "seed": 3, "argv": ["--smoke"]}
    assert record["reason"] == "ok" and record["schema_version"] == 1
    assert Path(record["run_dir"]).parent == lab / "runs"  # the record lands in the learner's folder
    assert json.loads((Path(record["run_dir"]) / "run.json").read_text())["metrics"] == written


def test_plain_output_streams_the_lab_and_summarises(make_lab):
    result = _invoke(str(make_lab(METRICS_LAB)), "--", "python", "main.py")
    assert result.exit_code == 0
    assert "trained" in result.stdout
    assert "ok in" in result.stderr and "run.json" in result.stderr


def test_a_failing_lab_exits_1_with_the_reason(make_lab):
    result = _invoke(str(make_lab("raise SystemExit(4)\n")), "--json", "--", "python", "main.py")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["reason"] == "error"


def test_missing_command_and_missing_lab_are_usage_errors(make_lab, tmp_path):
    result = _invoke(str(make_lab("pass\n")))
    assert result.exit_code == 2 and result.stderr.startswith("tutor: no command given")
    result = _invoke(str(tmp_path / "nope"), "--", "python", "x.py")
    assert result.exit_code == 2 and "does not exist" in result.stderr


@pytest.mark.skipif(not (LESSON_01 / "starter.py").exists(), reason="lesson 1's lab has not landed yet")
def test_lesson_01_smoke_run_prints_the_metrics_it_wrote(tmp_path):
    lab = tmp_path / "lesson_01"
    shutil.copytree(LESSON_01, lab, ignore=shutil.ignore_patterns("runs"))  # never write into the course
    result = _invoke(str(lab), "--json", "--timeout", "120", "--", "python", "starter.py", "--smoke", "--json")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["reason"] == "ok"
    assert record["metrics"] == json.loads((Path(record["run_dir"]) / "metrics.json").read_text())
    assert record["metrics"], "the lab wrote no metrics"
