"""``tutor curriculum check [ROOT]``: validate a course (lessons, labs, rubrics, AGENTS.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from tutor.cli.common import EXIT_PROBLEMS, EXIT_USAGE, settings


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Work with the course content.", no_args_is_help=True)
    group.command("check")(check)
    app.add_typer(group, name="curriculum")


def check(
    root: Optional[Path] = typer.Argument(None, help="Course root (default: TUTOR_COURSE or the shipped course)."),
    proof: bool = typer.Option(True, "--proof/--no-proof",
                               help="Run every lab's checks on its reference implementation (in the sandbox)."),
) -> None:
    """Validate lessons, labs, rubrics and AGENTS.md; print each problem as file:line: message."""
    from tutor.course.loader import check_course

    course_dir = root.resolve() if root else settings().course_dir
    if not course_dir.is_dir():
        typer.echo(f"tutor: course root {course_dir} is not a directory", err=True)
        raise typer.Exit(EXIT_USAGE)
    problems = check_course(course_dir)
    for problem in problems:
        typer.echo(str(problem))
    if problems:
        typer.echo(f"tutor: {len(problems)} problem(s) in {course_dir}, each above as file:line: message; "
                   "fix them and run this again", err=True)
        raise typer.Exit(EXIT_USAGE)
    from tutor.course.loader import load_course

    course = load_course(course_dir)
    labs = sum(1 for lesson in course.lessons.values() if lesson.lab)
    if proof:
        _prove_references(course_dir)
    typer.echo(
        f"ok: {len(course.lessons)} lessons, {labs} labs, {len(course.rubrics)} rubrics, "
        f"contract v{course.contract.policy.version} ({course_dir})"
    )


def _prove_references(course_dir: Path) -> None:
    """Every check of every lab passes on the reference; without references (an installed
    wheel ships no solutions) say so and go on."""
    from tutor.checks.evaluate import evaluate
    from tutor.checks.references import reference_code, tests_dir
    from tutor.checks.spec import load_checks

    if tests_dir(course_dir) is None:
        typer.echo("references: none in this installation (a wheel ships no solutions); proof skipped")
        return
    failures, proved, total = [], 0, 0
    for lab in sorted((course_dir / "curriculum" / "labs").glob("lesson_*")):
        checks, _ = load_checks(lab, course_dir)
        code = reference_code(lab, course_dir) if checks is not None else None
        if checks is None:
            continue
        if code is None:
            failures.append(f"{lab.name}: no reference implementation in tests/course/references")
            continue
        evaluation = evaluate(lab, checks, code=code, backend=settings().sandbox_backend)
        for t in evaluation.todos:
            total += t.total
            if t.status != "passed":
                failures.append(f"{lab.name}: reference {t.todo} {t.status}"
                                + (f" at {t.check_id}" if t.check_id else "") + (f": {t.error}" if t.error else ""))
        proved += 1
    for line in failures:
        typer.echo(line)
    if failures:
        typer.echo(f"{len(failures)} reference proof(s) failed in {course_dir}", err=True)
        raise typer.Exit(EXIT_PROBLEMS)
    typer.echo(f"references: {proved} labs, all {total} checks pass on their reference")
