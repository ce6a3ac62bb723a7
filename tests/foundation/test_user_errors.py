"""The bad inputs a new user hit (issue 16), each with the behaviour it must have now."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from tests.foundation.test_bad_input import leaf_commands
from tutor.cli import app, common

REPO = Path(__file__).resolve().parents[2]


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def one_tutor_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("tutor: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def config(tmp_path, monkeypatch):
    def write(text: str) -> Path:
        path = tmp_path / "config.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("TUTOR_CONFIG", str(path))
        common._WARNED.clear()
        return path
    return write


@pytest.mark.parametrize("command", [["doctor"], ["ask", "hi"], ["search", "bpe"], ["chat"]])
def test_invalid_toml_is_one_line_naming_the_file(config, command):
    path = config('model = "offline\n')
    result = invoke(*command)
    assert result.exit_code == 2
    line = one_tutor_line(result)
    assert str(path) in line and "not valid TOML" in line and "line 1" in line


def test_a_misspelt_key_warns_with_the_closest_key_and_doctor_shows_it(config):
    config('modle = "offline"\njudge_samples = 5\n')
    result = invoke("doctor", "--json")
    assert result.exit_code == 0, result.output
    assert "unknown key 'modle' (did you mean 'model'?)" in result.stderr
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["config file"]["status"] == "warn" and "'modle'" in checks["config file"]["detail"]
    assert json.loads(result.stdout)["config"]["judge_samples"] == 5  # the rest of the file is read


def test_tutor_config_pointing_at_nothing_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_CONFIG", str(tmp_path / "nothing.toml"))
    result = invoke("ask", "hi")
    assert result.exit_code == 2
    assert "TUTOR_CONFIG points at" in one_tutor_line(result) and "does not exist" in result.stderr


def test_doctor_says_which_config_file_was_read(config):
    path = config('judge_samples = 4\n')
    data = json.loads(invoke("doctor", "--json").stdout)
    assert data["config"]["config_file"] == f"{path} (read)"
    check = next(c for c in data["checks"] if c["name"] == "config file")
    assert check["status"] == "ok" and str(path) in check["detail"]


def test_doctor_fails_on_a_file_as_tutor_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.write_text("not a folder")
    monkeypatch.setenv("TUTOR_HOME", str(home))
    result = invoke("doctor", "--json")
    assert result.exit_code == 1, result.output
    check = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "data folder")
    assert check["status"] == "fail" and "not a folder" in check["detail"]


def test_doctor_exits_1_when_its_model_check_fails(monkeypatch, tmp_path):
    monkeypatch.setenv("TUTOR_MODEL", f"replay:{tmp_path / 'no-such-replay.jsonl'}")
    result = invoke("doctor")
    assert result.exit_code == 1 and "not found" in result.stdout


def test_doctor_is_ok_on_a_writable_home():
    result = invoke("doctor", "--json")
    assert result.exit_code == 0, result.output
    check = next(c for c in json.loads(result.stdout)["checks"] if c["name"] == "data folder")
    assert check["status"] == "ok"


def _read_only(home: Path) -> list[str]:
    """A command prefix that mounts ``home`` read-only (root ignores permission bits)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        pytest.skip("bubblewrap is not installed: no read-only mount to test with")
    probe = subprocess.run([bwrap, "--dev-bind", "/", "/", "--ro-bind", str(home), str(home), "true"],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"bubblewrap cannot mount here: {probe.stderr.decode(errors='replace')[:200]}")
    return [bwrap, "--dev-bind", "/", "/", "--ro-bind", str(home), str(home)]


def test_read_only_home_with_data_serves_search_and_is_a_failure_for_doctor(_isolated_user_data):
    home = _isolated_user_data
    env = {**os.environ, "TUTOR_HOME": str(home), "TUTOR_MODEL": "offline"}
    tutor = [sys.executable, "-m", "tutor"]
    subprocess.run([*tutor, "ask", "what is bpe"], env=env, check=True, capture_output=True, timeout=300)
    ro = _read_only(home)
    found = subprocess.run([*ro, *tutor, "search", "what is bpe"], env=env, capture_output=True, text=True, timeout=300)
    assert found.returncode == 0 and "lesson 1" in found.stdout, found.stderr  # from the index snapshot
    for command in (["ask", "what is bpe"],):
        done = subprocess.run([*ro, *tutor, *command], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode in (0, 2), done.stderr
        assert "Traceback" not in done.stderr
        if done.returncode == 2:
            lines = done.stderr.strip().splitlines()
            assert len(lines) == 1 and "writ" in lines[0] and str(home) in lines[0], done.stderr
    done = subprocess.run([*ro, *tutor, "doctor", "--json"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    check = next(c for c in json.loads(done.stdout)["checks"] if c["name"] == "data folder")
    assert check["status"] == "fail" and "not writable" in check["detail"]


def _rows(home: Path, table: str) -> list[tuple]:
    db = home / "progress.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        return conn.execute(f"select * from {table}").fetchall()


@pytest.mark.parametrize("lesson", ["99", "0"])
def test_chat_rejects_a_lesson_the_course_does_not_have(lesson, monkeypatch, _isolated_user_data):
    opened = []
    monkeypatch.setattr("tutor.tui.app.TutorApp.run", lambda self, *a, **k: opened.append(self))
    result = invoke("chat", "--lesson", lesson)
    assert result.exit_code == 2
    assert f"no lesson {lesson} in this course" in one_tutor_line(result)
    assert not opened and _rows(_isolated_user_data, "lesson_progress") == []


def _lab(tmp_path: Path) -> Path:
    lab = tmp_path / "labs" / "lesson_01"
    shutil.copytree(REPO / "curriculum" / "labs" / "lesson_01", lab)
    return lab


def _graded_learners(home: Path) -> list[str]:
    with sqlite3.connect(home / "progress.db") as conn:
        return sorted(r[0] for r in conn.execute("select learner_id from submissions"))


def test_grading_the_self_check_folder_records_the_learner_not_the_folder(tmp_path, _isolated_user_data):
    lab = _lab(tmp_path)
    assert invoke("grade", str(lab), "--no-judge").exit_code in (0, 1)
    assert _graded_learners(_isolated_user_data) == ["default"]
    assert invoke("grade", str(lab), "--no-judge", "--learner", "ada", "--force").exit_code in (0, 1)
    assert _graded_learners(_isolated_user_data) == ["ada", "default"]
    report = json.loads((lab / "grading" / "report.json").read_text())
    assert report["submission"]["learner"] == "ada"


def test_learner_with_a_folder_of_many_submissions_is_refused(tmp_path, _isolated_user_data):
    for name in ("ada", "bob"):
        shutil.copytree(REPO / "curriculum" / "labs" / "lesson_01", tmp_path / "cohort" / name)
    result = invoke("grade", str(tmp_path / "cohort"), "--no-judge", "--learner", "ada")
    assert result.exit_code == 2 and "--learner names one learner" in one_tutor_line(result)
    assert not (_isolated_user_data / "progress.db").exists() or _rows(_isolated_user_data, "submissions") == []


def test_the_apps_self_check_records_the_grade(tmp_path, _isolated_user_data):
    from tutor.config import load_settings
    from tutor.tui.labs import self_check

    _lab(tmp_path)
    markdown = self_check(1, load_settings(), "ada", cwd=tmp_path)
    assert "lesson 1" in markdown.lower() or "Lesson 1" in markdown
    assert _graded_learners(_isolated_user_data) == ["ada"]
    assert not (tmp_path / "labs" / "lesson_01" / "grading").exists()  # nothing written into the lab


def test_no_model_is_the_reason_given_when_the_judge_does_not_run(tmp_path):
    result = invoke("grade", str(_lab(tmp_path)))
    assert "no model configured" in result.stderr and "--no-judge" not in result.stderr


def test_grading_an_empty_folder_writes_nothing_and_says_the_same_twice(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    first, second = invoke("grade", str(empty), "--no-judge"), invoke("grade", str(empty), "--no-judge")
    assert first.exit_code == second.exit_code == 1
    assert "the folder is empty" in first.stderr and first.stderr == second.stderr
    assert list(empty.iterdir()) == []


def test_model_is_accepted_after_the_subcommand():
    assert invoke("ask", "what is a token?", "--model", "offline").exit_code == 0
    result = invoke("ask", "hi", "--model", "nonsense")
    assert result.exit_code == 2 and "unknown model 'nonsense'" in one_tutor_line(result)


def test_a_lab_command_after_double_dash_keeps_its_own_model_flag():
    from tutor.cli.errors import hoist_root_options

    group = typer.main.get_command(app)
    assert hoist_root_options(group, ["run", "lab", "--", "python", "x.py", "--model", "m"]) == \
        ["run", "lab", "--", "python", "x.py", "--model", "m"]
    assert hoist_root_options(group, ["ask", "hi", "--model=offline"]) == ["--model=offline", "ask", "hi"]


def test_help_shows_plain_metavars_everywhere():
    for path, _ in [((), None), *leaf_commands()]:
        result = invoke(*path, "--help")
        assert result.exit_code == 0, (path, result.output)
        for typer_style in ("<bool>", "<str>", "<int>", "<float>", "<path>", "<list", "{"):
            assert typer_style not in result.stdout, (path, typer_style, result.stdout)


def test_a_usage_error_is_one_line_with_the_command_to_get_help():
    result = invoke("grade", "--workers", "0")
    assert result.exit_code == 2
    assert "tutor grade --help" in one_tutor_line(result)


def test_an_unexpected_error_is_one_line_saying_it_is_a_bug(monkeypatch):
    def broken(*a, **k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("tutor.diagnostics.run_checks", broken)
    result = invoke("doctor")
    assert result.exit_code == 1
    assert "internal error: ZeroDivisionError: boom" in one_tutor_line(result)
