"""Checks that run the learner's code go through the sandbox (only with --smoke)."""

from __future__ import annotations

import json
from pathlib import Path

from tutor.grading.checks import CheckContext, run_check
from tutor.grading.submission import open_submission

from tests.grading.test_checks import make_check

STARTER = """
import argparse, json, os
p = argparse.ArgumentParser()
p.add_argument("--seed", type=int, default=0)
p.add_argument("--scale", type=float, default=1.0)
p.add_argument("--smoke", action="store_true")
args = p.parse_args()
if os.environ.get("BREAK_ME") or os.path.exists("broken"):
    raise SystemExit("starter is broken")
out = os.environ.get("TUTOR_RUN_DIR", ".")
json.dump({"value": (args.seed + 1) * args.scale}, open(os.path.join(out, "metrics.json"), "w"))
"""


def lab(tmp_path: Path, logged_value: float) -> Path:
    root = tmp_path / "lesson_01_code"
    (root / "runs" / "r1").mkdir(parents=True)
    (root / "starter.py").write_text(STARTER)
    (root / "runs" / "r1" / "config.json").write_text(json.dumps({"seed": 2, "scale": 0.5}))
    (root / "runs" / "r1" / "metrics.json").write_text(json.dumps({"value": logged_value}))
    return root


def run(check, root):
    return run_check(check, CheckContext(open_submission(root), None, smoke=True, sandbox_backend="auto"))


def test_smoke_run_passes_and_a_broken_starter_fails(tmp_path):
    root = lab(tmp_path, 1.5)
    check = make_check(kind="smoke_run", command=["python", "starter.py", "--smoke"], timeout_s=60)
    assert run(check, root).status == "passed"
    (root / "broken").write_text("x")
    result = run(check, root)
    assert result.status == "failed" and "starter.py" in result.message
    assert not any((root / "runs").glob("*/run.json"))  # the learner's runs/ is untouched


def test_reproduce_reruns_a_logged_run_from_its_config_and_seed(tmp_path):
    check = make_check(kind="reproduce", metric="value", tolerance=0.01, timeout_s=60)
    result = run(check, lab(tmp_path, 1.5))
    assert result.status == "passed", result.message
    other = tmp_path / "other"
    other.mkdir()
    result = run(check, lab(other, 9.0))
    assert result.status == "failed" and "logged 9, re-run 1.5" in result.message
