"""Where reference implementations and wrong attempts live: the checkout's test tree only.

An installed wheel has none (they would be solutions): callers say so instead of failing.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from tutor.paths import shipped_course_root


def tests_dir(course_root: Path | None = None) -> Path | None:
    """``tests/course`` of the checkout the course comes from, or None (an installed wheel)."""
    root = Path(course_root or shipped_course_root()).resolve()
    for base in (root, root.parent):
        candidate = base / "tests" / "course"
        if (candidate / "references").is_dir():
            return candidate
    return None


def lesson_of(lab_dir: Path) -> int | None:
    name = Path(lab_dir).name
    return int(name[7:]) if name.startswith("lesson_") and name[7:].isdigit() else None


def reference_code(lab_dir: Path, course_root: Path | None = None) -> str | None:
    base, lesson = tests_dir(course_root), lesson_of(lab_dir)
    if base is None or lesson is None:
        return None
    path = base / "references" / f"lesson_{lesson:02d}.py"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def wrong_attempts(lab_dir: Path, course_root: Path | None = None) -> list[dict]:
    """The ``ATTEMPTS`` list of tests/course/wrong_attempts/lesson_NN.py (the project's own test
    data, run as a module; its code strings are only ever executed in the sandbox)."""
    base, lesson = tests_dir(course_root), lesson_of(lab_dir)
    if base is None or lesson is None:
        return []
    path = base / "wrong_attempts" / f"lesson_{lesson:02d}.py"
    if not path.is_file():
        return []
    return list(runpy.run_path(str(path)).get("ATTEMPTS", []))
