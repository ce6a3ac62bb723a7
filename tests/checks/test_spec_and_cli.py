"""checks.yaml validation with file:line problems, `tutor curriculum check`'s reference proof,
and `tutor check`'s exit codes and attempt history."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from tests.checks.conftest import requires_bwrap
from tutor.checks.spec import load_checks
from tutor.cli import app

REPO = Path(__file__).resolve().parents[2]


def test_bad_checks_yaml_gives_file_and_line(tiny_lab):
    (tiny_lab / "checks.yaml").write_text(
        "todos:\n  - name: add_one\n    section: s\n    checks:\n      - id: a\n        call: 'add_one(1)'\n"
        "        hint: h\n      - id: b\n        call: 'add_one(('\n        expect: '2'\n        hint: h\n"
        "  - name: no_such_function\n    section: s\n    checks:\n      - id: c\n        call: '1'\n"
        "        expect: '1'\n        hint: h\n")
    checks, problems = load_checks(tiny_lab)
    text = [str(p) for p in problems]
    assert checks is None
    assert any(":5: todos.0.checks.0: give exactly one of expect and property" in t for t in text), text
    assert any(":8: todos.0.checks.1: call is not valid Python" in t for t in text), text
    (tiny_lab / "checks.yaml").write_text("todos:\n  - name: add_one\n    section: s\n    checks:\n      - id: c\n"
                                          "        call: '1'\n        expect: '1'\n        hint: h\n"
                                          "  - name: no_such_function\n    section: s\n    checks:\n      - id: c\n"
                                          "        call: '1'\n        expect: '1'\n        hint: h\n")
    checks, problems = load_checks(tiny_lab)
    assert checks is None
    assert [str(p).split("checks.yaml")[1] for p in problems] == [
        ":9: todos.1.name: starter.py defines no function 'no_such_function'"]


def test_curriculum_check_without_references_says_the_proof_was_skipped(tmp_path):
    from tutor.cli.curriculum import _prove_references

    runner = CliRunner()
    course = tmp_path / "course"
    shutil.copytree(REPO / "curriculum", course / "curriculum")
    shutil.copytree(REPO / "rubrics", course / "rubrics")
    shutil.copy(REPO / "AGENTS.md", course / "AGENTS.md")
    result = runner.invoke(app, ["curriculum", "check", str(course)])
    assert result.exit_code == 0, result.output
    assert "references: none in this installation" in result.output
    assert callable(_prove_references)


def _env(tmp_path):
    return {"TUTOR_HOME": str(tmp_path / "home"), "TUTOR_COURSE": str(REPO), "TUTOR_SANDBOX_BACKEND": "auto"}


@requires_bwrap
def test_tutor_check_exit_codes_json_and_history(tmp_path, monkeypatch):
    lab = tmp_path / "labs" / "lesson_01"
    shutil.copytree(REPO / "curriculum" / "labs" / "lesson_01", lab)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    untouched = runner.invoke(app, ["check", str(lab), "--json"], env=_env(tmp_path))
    assert untouched.exit_code == 0, untouched.output
    assert {t["status"] for t in json.loads(untouched.stdout)["todos"]} == {"not_started"}

    wrong = tmp_path / "wrong.py"
    wrong.write_text("def merge_pair(word, pair, new_id):\n    return tuple(new_id if (a, b) == pair else a\n"
                     "                 for a, b in zip(word, word[1:] + (None,)))\n")
    failed = runner.invoke(app, ["check", str(lab), "--paste", str(wrong), "--todo", "merge_pair"], env=_env(tmp_path))
    assert failed.exit_code == 1, failed.output
    assert "FAIL    merge_pair: failed at check docstring_example" in failed.stdout
    assert "hint:" in failed.stdout and '"Byte-pair encoding, step by step"' in failed.stdout

    reference = REPO / "tests" / "course" / "references" / "lesson_01.py"
    passed = runner.invoke(app, ["check", "--paste", str(reference)], env=_env(tmp_path))  # default: current lesson
    assert passed.exit_code == 0, passed.output
    assert passed.stdout.count("PASS") == 3

    from tutor.config import load_settings
    from tutor.store import open_store

    monkeypatch.setenv("TUTOR_HOME", str(tmp_path / "home"))
    progress = open_store(load_settings()).check_progress("default", 1)
    merge = next(p for p in progress if p["todo"] == "merge_pair")
    assert merge["tries_until_pass"] == 2 and merge["held_longest"] == "docstring_example"


def test_tutor_check_bad_input_is_one_line_exit_2(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(app, ["check", str(tmp_path / "nope")], env=_env(tmp_path))
    assert missing.exit_code == 2 and "does not exist" in missing.output
    (tmp_path / "lab").mkdir()
    no_lesson = runner.invoke(app, ["check", str(tmp_path / "lab")], env=_env(tmp_path))
    assert no_lesson.exit_code == 2 and "--lesson" in no_lesson.output
    bad_todo = runner.invoke(app, ["check", str(REPO / "curriculum" / "labs" / "lesson_01"), "--todo", "nope"],
                             env=_env(tmp_path))
    assert bad_todo.exit_code == 2 and "no TODO 'nope'" in bad_todo.output
