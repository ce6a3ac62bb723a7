"""Lab folders for grading tests, built in tmp dirs from the shipped calibration set."""

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


@pytest.fixture
def settings():
    from tutor.config import load_settings

    return load_settings(course=str(REPO))


@pytest.fixture
def strong_lab(tmp_path) -> Path:
    need_lesson(1)
    return copy_submission("lesson_01_strong", tmp_path / "lesson_01_strong")


@pytest.fixture
def weak_lab(tmp_path) -> Path:
    need_lesson(1)
    return copy_submission("lesson_01_weak", tmp_path / "lesson_01_weak")


@pytest.fixture
def schema() -> dict:
    from tutor.grading import SCHEMA_PATH

    return json.loads(SCHEMA_PATH.read_text())
