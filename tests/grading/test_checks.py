"""Each check kind of curriculum/FORMAT.md on small synthetic folders."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tutor.course.rubric_models import LessonRubric
from tutor.grading.checks import CheckContext, run_check
from tutor.grading.submission import open_submission

TEMPLATE = "# Notes\n\n## What I expected\n_Give numbers._\n\n## What happened\n_Your table._\n"


def make_check(**fields):
    base = {"lesson": 1, "weights": {"conceptual_clarity": 0.2, "implementation": 0.2, "measurement_quality": 0.2,
                                     "reproducibility": 0.2, "reflection": 0.2},
            "look_for": {}, "checks": [{"id": "c", "criterion": "measurement_quality", "description": "d", **fields}]}
    return LessonRubric.model_validate(base).checks[0]


def lab(tmp_path: Path, runs: list[tuple[dict, dict]] = (), notes: str | None = None) -> Path:
    root = tmp_path / "lesson_01_x"
    root.mkdir()
    (root / "starter.py").write_text("print('hi')\n")
    if notes is not None:
        (root / "notes.md").write_text(notes)
    for i, (config, metrics) in enumerate(runs):
        run = root / "runs" / f"r{i}"
        run.mkdir(parents=True)
        (run / "config.json").write_text(json.dumps(config))
        (run / "metrics.json").write_text(json.dumps(metrics))
    return root


def run(check, root: Path, template: str = TEMPLATE, smoke: bool = False):
    return run_check(check, CheckContext(open_submission(root), template, smoke=smoke))


def test_required_files_lists_what_is_missing(tmp_path):
    result = run(make_check(kind="required_files", files=["starter.py", "notes.md"]), lab(tmp_path))
    assert result.status == "failed" and "notes.md" in result.message


def test_notes_filled_needs_words_beyond_the_template_in_every_section(tmp_path):
    words = " ".join(f"word{i}" for i in range(30))
    check = make_check(kind="notes_filled", min_words=25)
    only_one = lab(tmp_path, notes=TEMPLATE.replace("_Give numbers._", f"_Give numbers._ {words}."))
    result = run(check, only_one)
    assert result.status == "failed" and "'What happened' has 0 own words" in result.message
    (only_one / "notes.md").write_text(TEMPLATE.replace("_Give numbers._", f"{words}.")
                                       .replace("_Your table._", " ".join(f"other{i}" for i in range(30)) + "."))
    assert run(check, only_one).status == "passed"


def test_min_runs_counts_only_valid_records(tmp_path):
    root = lab(tmp_path, runs=[({"seed": 0}, {"m": 1}), ({"no_seed": 1}, {"m": 1}), ({"seed": 2}, {"m": 1})])
    result = run(make_check(kind="min_runs", min=3), root)
    assert result.status == "failed" and "2 valid run(s) of 3" in result.message and "no seed" in result.message


def test_varied_counts_distinct_values_of_a_dotted_key(tmp_path):
    runs = [({"seed": 0, "opt": {"lr": lr}}, {}) for lr in (0.1, 0.2, 0.2)]
    root = lab(tmp_path, runs=runs)
    assert run(make_check(kind="varied", key="opt.lr", min_distinct=2), root).status == "passed"
    assert run(make_check(kind="varied", key="opt.lr", min_distinct=3), root).status == "failed"


def test_held_fixed_fails_when_the_value_changes_or_is_missing(tmp_path):
    root = lab(tmp_path, runs=[({"seed": 0, "corpus": "a"}, {}), ({"seed": 0, "corpus": "b"}, {})])
    assert run(make_check(kind="held_fixed", key="corpus"), root).status == "failed"
    assert run(make_check(kind="held_fixed", key="seed"), root).status == "passed"
    assert "not recorded" in run(make_check(kind="held_fixed", key="model"), root).message


def test_metrics_present_names_the_run_and_key_that_lack_it(tmp_path):
    root = lab(tmp_path, runs=[({"seed": 0}, {"a": 1, "b": 2}), ({"seed": 1}, {"a": 1})])
    result = run(make_check(kind="metrics_present", keys=["a", "b"]), root)
    assert result.status == "failed" and "runs/r1 lacks b" in result.message


def test_file_contains_reports_the_matching_line(tmp_path):
    root = lab(tmp_path, notes="intro\n| a | b |\n")
    result = run(make_check(kind="file_contains", file="notes.md", pattern=r"\|.*\|.*\|"), root)
    assert result.status == "passed" and result.evidence == ["notes.md:2"]


def test_smoke_runs_are_not_evidence(tmp_path):
    """A leftover `--smoke` run neither counts towards min_runs nor breaks a held_fixed check."""
    runs = [({"seed": 0, "steps": 200}, {"m": 1}), ({"seed": 0, "steps": 200}, {"m": 2}),
            ({"seed": 0, "steps": 3, "smoke": True}, {"m": 0})]
    root = lab(tmp_path, runs=runs)
    counted = run(make_check(kind="min_runs", min=3), root)
    assert counted.status == "failed" and "2 valid run(s) of 3" in counted.message and "--smoke" in counted.message
    assert run(make_check(kind="held_fixed", key="steps"), root).status == "passed"


def test_code_running_checks_are_skipped_without_smoke(tmp_path):
    result = run(make_check(kind="smoke_run"), lab(tmp_path))
    assert result.status == "skipped"


def test_a_check_that_hangs_fails_at_its_own_time_limit(tmp_path, monkeypatch):
    from tutor.grading import checks

    release = []

    def hang(check, ctx):
        deadline = time.monotonic() + 5
        while not release and time.monotonic() < deadline:
            time.sleep(0.01)
        return True, "late", []

    monkeypatch.setitem(checks.KINDS, "min_runs", hang)
    started = time.monotonic()
    result = run(make_check(kind="min_runs", min=1, timeout_s=0.2), lab(tmp_path))
    release.append(True)
    assert result.status == "error" and "timed out after 0.2 s" in result.message
    assert time.monotonic() - started < 2


def test_a_check_that_raises_becomes_an_error_result(tmp_path, monkeypatch):
    from tutor.grading import checks

    monkeypatch.setitem(checks.KINDS, "min_runs", lambda c, x: 1 / 0)
    result = run(make_check(kind="min_runs", min=1), lab(tmp_path))
    assert result.status == "error" and "ZeroDivisionError" in result.message


def test_replay_command_passes_only_options_the_starter_accepts():
    from tutor.grading.sandboxed import replay_command

    code = ('p.add_argument("--seed")\np.add_argument("--num-merges")\n'
            'p.add_argument("--masked", action=argparse.BooleanOptionalAction)')
    command = replay_command({"seed": 3, "num_merges": 50, "masked": False, "lesson": 1}, code)
    assert command == ["python", "starter.py", "--no-masked", "--num-merges", "50", "--seed", "3"]


def test_replay_command_leaves_a_false_store_true_flag_off():
    """`"smoke": false` in a real run's config must not become `--no-smoke`, which argparse rejects."""
    from tutor.grading.sandboxed import replay_command

    code = 'p.add_argument("--seed", type=int)\np.add_argument("--smoke", action="store_true", help="tiny (CPU)")'
    assert replay_command({"seed": 1, "smoke": False}, code) == ["python", "starter.py", "--seed", "1"]
    assert replay_command({"seed": 1, "smoke": True}, code) == ["python", "starter.py", "--seed", "1", "--smoke"]
