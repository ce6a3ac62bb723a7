"""For every lab with checks.yaml: the shipped starter reports every TODO not started, the
reference (tests/course/references) passes every check, and each wrong attempt
(tests/course/wrong_attempts, >= 2 per TODO) fails the check it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox import host
from tutor.checks.verify import verify_lab

ROOT = Path(__file__).resolve().parents[2]
LABS = sorted(p.parent for p in (ROOT / "curriculum" / "labs").glob("lesson_*/checks.yaml"))


@pytest.mark.skipif(host.bwrap_problem() is not None, reason=f"bubblewrap unusable: {host.bwrap_problem()}")
@pytest.mark.parametrize("lab", LABS, ids=[p.name for p in LABS])
def test_lab_checks_hold(lab):
    cases = verify_lab(lab, course_root=ROOT)
    failing = [f"{c.name}: {c.detail}" for c in cases if not c.ok]
    assert not failing, "\n".join(failing)
    names = {c.name for c in cases}
    assert {"starter", "reference"} <= names and any(n.startswith("attempt ") for n in names)


def test_every_lab_with_todos_has_checks():
    from tutor.course.loader import todo_stubs

    missing = [p.name for p in sorted((ROOT / "curriculum" / "labs").glob("lesson_*"))
               if todo_stubs((p / "starter.py").read_text()) and not (p / "checks.yaml").is_file()]
    assert not missing, f"labs with TODOs but no checks.yaml: {missing}"
