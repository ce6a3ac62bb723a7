"""Fixtures for grading tests: lab folders built in tmp dirs from the shipped calibration set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.grading.grading_support import REPO, copy_submission, need_lesson


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
