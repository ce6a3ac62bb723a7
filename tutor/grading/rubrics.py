"""The rubric and notes template for a lesson, read straight from the course folder.

Loaded per file (not through the whole-course loader) so one lesson being edited elsewhere
in the course cannot stop another lesson from being graded.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from tutor.course.rubric_models import DefaultRubric, LessonRubric


class RubricError(Exception):
    pass


@lru_cache(maxsize=64)
def _load(path: Path, mtime: float, kind: str):
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return (DefaultRubric if kind == "default" else LessonRubric).model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise RubricError(f"{path}: {str(exc).splitlines()[0]}") from None


def default_rubric(course_dir: Path) -> DefaultRubric:
    path = course_dir / "rubrics" / "default.yaml"
    if not path.is_file():
        raise RubricError(f"no default rubric at {path}")
    return _load(path, path.stat().st_mtime, "default")


def lesson_rubric(course_dir: Path, lesson: int) -> LessonRubric:
    path = course_dir / "rubrics" / f"lesson_{lesson:02d}.yaml"
    if not path.is_file():
        known = sorted(int(p.stem.split("_")[1]) for p in (course_dir / "rubrics").glob("lesson_[0-9][0-9].yaml"))
        raise RubricError(f"unknown lesson {lesson}: no rubric {path.name} (lessons with rubrics: "
                          f"{', '.join(map(str, known)) or 'none'})")
    return _load(path, path.stat().st_mtime, "lesson")


def known_lessons(course_dir: Path) -> list[int]:
    return sorted(int(p.stem.split("_")[1]) for p in (course_dir / "rubrics").glob("lesson_[0-9][0-9].yaml"))


def notes_template(course_dir: Path, lesson: int) -> str | None:
    path = course_dir / "curriculum" / "labs" / f"lesson_{lesson:02d}" / "notes.md"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None
