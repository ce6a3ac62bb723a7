"""The shipped course: complete, valid, and every lab's starter runs in --smoke mode
without being solved."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.course.loader import check_course, load_course, todo_stubs

REPO = Path(__file__).resolve().parents[2]
LAB_DIRS = sorted((REPO / "curriculum" / "labs").glob("lesson_*"))


@pytest.fixture(scope="module")
def course():
    return load_course(REPO)


def test_curriculum_check_passes_on_the_shipped_course():
    assert [str(p) for p in check_course(REPO)] == []


def test_eighteen_lessons_labs_and_rubrics(course):
    assert sorted(course.lessons) == list(range(1, 19))
    assert all(lesson.lab is not None for lesson in course.lessons.values())
    assert sorted(course.rubrics) == list(range(1, 19))


def test_checkpoints_sit_after_lessons_9_17_and_18(course):
    marks = {i: lesson.meta.checkpoint for i, lesson in course.lessons.items() if lesson.meta.checkpoint}
    assert marks == {9: "mid-course", 17: "late-course", 18: "capstone"}


def test_each_lesson_has_three_misconceptions_with_probe_and_correction(course):
    for lesson in course.lessons.values():
        assert len(lesson.meta.misconceptions) >= 3, lesson.id
        for m in lesson.meta.misconceptions:
            assert m.probe.rstrip().endswith("?"), (lesson.id, m.id)
            assert lesson.section(m.section) is not None, (lesson.id, m.id)


def test_lessons_are_substantial(course):
    for lesson in course.lessons.values():
        body_lines = [line for line in lesson.body.splitlines() if line.strip()]
        assert len(body_lines) >= 100, f"lesson {lesson.id} has {len(body_lines)} non-blank lines"
        assert len(lesson.self_checks) >= 3, lesson.id


def _stub_bodies(source: str) -> dict[str, list[ast.stmt]]:
    tree = ast.parse(source)
    stubs = set(todo_stubs(source))
    return {
        node.name: node.body
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in stubs
    }


@pytest.mark.parametrize("lab", LAB_DIRS, ids=lambda p: p.name)
def test_no_starter_is_already_solved(lab):
    """Every TODO stub is a docstring plus `raise NotImplementedError("TODO ...")`, nothing else."""
    source = (lab / "starter.py").read_text(encoding="utf-8")
    bodies = _stub_bodies(source)
    assert len(bodies) >= 2, f"{lab.name}: expected at least two TODO stubs, found {sorted(bodies)}"
    for name, body in bodies.items():
        statements = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        assert len(statements) == 1 and isinstance(statements[0], ast.Raise), f"{lab.name}:{name} has a body"
        message = ast.unparse(statements[0])
        assert "NotImplementedError" in message and "TODO" in message, f"{lab.name}:{name}: {message}"


@pytest.fixture(scope="module")
def smoke_runs(tmp_path_factory):
    """Run every starter once in --smoke mode in a scratch copy; results keyed by lab name."""
    results = {}
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": "0"}
    env.pop("TUTOR_RUN_DIR", None)
    for lab in LAB_DIRS:
        work = tmp_path_factory.mktemp(lab.name) / lab.name
        shutil.copytree(lab, work, ignore=shutil.ignore_patterns("runs", "__pycache__"))
        proc = subprocess.run(
            [sys.executable, "starter.py", "--smoke", "--json"], cwd=work, env=env,
            capture_output=True, text=True, timeout=120,
        )
        runs = sorted((work / "runs").glob("*/")) if (work / "runs").is_dir() else []
        results[lab.name] = (proc, runs)
    return results


@pytest.mark.parametrize("lab", LAB_DIRS, ids=lambda p: p.name)
def test_starter_smoke_run_writes_a_run_record(lab, smoke_runs):
    proc, runs = smoke_runs[lab.name]
    assert proc.returncode == 0, f"{lab.name} --smoke failed:\n{proc.stderr[-2000:]}"
    assert len(runs) == 1, f"{lab.name}: expected one run dir, found {runs}"
    config = json.loads((runs[0] / "config.json").read_text())
    metrics = json.loads((runs[0] / "metrics.json").read_text())
    assert isinstance(config.get("seed"), int)
    assert config.get("smoke") is True
    skipped = metrics.get("todo_skipped")
    stubs = set(todo_stubs((lab / "starter.py").read_text(encoding="utf-8")))
    assert skipped and set(skipped) <= stubs, f"{lab.name}: todo_skipped={skipped}, stubs={sorted(stubs)}"
    assert "SMOKE" in proc.stdout + proc.stderr, "skipped TODOs must be announced"


@pytest.mark.parametrize("lab", LAB_DIRS, ids=lambda p: p.name)
def test_rubric_keys_match_what_the_starter_records(lab, smoke_runs, course):
    """The grader reads config/metrics keys named in the rubric: the starter must write them."""
    lesson_id = int(lab.name.split("_")[1])
    rubric = course.rubrics[lesson_id]
    proc, runs = smoke_runs[lab.name]
    assert runs, proc.stderr[-1000:]
    config = json.loads((runs[0] / "config.json").read_text())
    metrics = json.loads((runs[0] / "metrics.json").read_text())
    for check in rubric.checks:
        if check.kind in ("varied", "held_fixed"):
            head = check.key.split(".")[0]
            assert head in config, f"{lab.name}: rubric check {check.id} reads config key {check.key!r}"
        if check.kind == "metrics_present":
            missing = [k for k in check.keys if k not in metrics]
            assert not missing, f"{lab.name}: rubric check {check.id} wants metrics {missing}"
    kinds = {c.kind for c in rubric.checks}
    assert {"required_files", "notes_filled", "min_runs", "varied"} <= kinds, lab.name
