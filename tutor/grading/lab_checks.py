"""The implementation criterion from the lab's own checks (checks.yaml), run in the sandbox.

One report check per TODO (kind ``lab_todo``): credit = the fraction of its checks that hold,
0 for a TODO not started. When a lab has checks, the rubric's other implementation checks
(starter.py and notes.md present) become gates: they no longer earn points, a failed gate
makes the criterion 0; the rest keep their weight once a TODO earns credit. So an untouched starter scores 0 and the reference full marks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

CRITERION = "implementation"
KIND = "lab_todo"


def todo_checks(root: Path, course_dir: Path, lesson: int, backend: str) -> list[dict[str, Any]]:
    """Report check entries for every TODO of the lesson's lab, or [] when it has no checks."""
    from tutor.checks.evaluate import CheckInputError, evaluate
    from tutor.checks.spec import load_checks

    checks, problems = load_checks(Path(course_dir) / "curriculum" / "labs" / f"lesson_{lesson:02d}")
    if checks is None or problems:
        return []
    try:
        evaluation = evaluate(root, checks, backend=backend)
    except CheckInputError as exc:
        return [_entry(t.name, "error", 0.0, str(exc), 0.0) for t in checks.todos]
    seconds = float(evaluation.sandbox.get("duration_s") or 0.0) / max(1, len(evaluation.todos))
    out = []
    for t in evaluation.todos:
        credit = 0.0 if t.status == "not_started" else t.passed / max(1, t.total)
        if t.status == "passed":
            message = f"{t.todo}: all {t.total} checks pass"
        elif t.status == "not_started":
            message = f"{t.todo}: not started (raises NotImplementedError)"
        else:
            where = f" at {t.check_id}" if t.check_id else ""
            message = f"{t.todo}: {t.status.replace('_', ' ')}{where}, {t.passed}/{t.total} checks pass"
        status = "passed" if t.status == "passed" else ("error" if t.status in ("error", "timed_out") else "failed")
        out.append(_entry(t.todo, status, credit, message, seconds))
    return out


def _entry(name: str, status: str, credit: float, message: str, seconds: float) -> dict[str, Any]:
    return {"id": f"todo-{name.replace('_', '-').lower()}", "kind": KIND, "criterion": CRITERION, "weight": 1.0,
            "status": status, "credit": round(credit, 4), "message": message, "evidence": ["starter.py"],
            "duration_s": round(seconds, 4)}


def gate_rubric_checks(checks: list[dict[str, Any]], todos: list[dict[str, Any]]) -> None:
    """Once the lab checks score implementation, the rubric's required_files checks become
    gates; while no TODO earns any credit, every other implementation check does too (logged
    metrics from placeholder code must not lift an unimplemented lab above 0)."""
    nothing_done = not any(t.get("credit") for t in todos)
    for check in checks:
        if check["criterion"] == CRITERION and check["kind"] != KIND:
            if check["kind"] == "required_files" or nothing_done:
                check["gate"] = True
