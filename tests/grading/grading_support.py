"""Helpers for the grading tests. A module of its own: test files import it by a unique name,
whereas `from conftest import ...` picks whichever conftest.py another test folder loaded first."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CALIBRATION = REPO / "rubrics" / "calibration"


def need_lesson(lesson: int) -> None:
    if not (REPO / "rubrics" / f"lesson_{lesson:02d}.yaml").is_file():
        pytest.skip(f"lesson {lesson} rubric not in this checkout")


def copy_submission(source: str, dest: Path) -> Path:
    shutil.copytree(CALIBRATION / source, dest, symlinks=True)
    return dest


def judge_reply(level: int, quotes: list[str], rationale: str = "scripted") -> str:
    return json.dumps({"level": level, "rationale": rationale, "evidence": quotes})
