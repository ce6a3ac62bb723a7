"""``tutor curriculum check [ROOT]``: validate a course (lessons, labs, rubrics, AGENTS.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from tutor.cli.common import EXIT_USAGE, settings


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Work with the course content.", no_args_is_help=True)
    group.command("check")(check)
    app.add_typer(group, name="curriculum")


def check(
    root: Optional[Path] = typer.Argument(None, help="Course root (default: TUTOR_COURSE or the shipped course)."),
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
        typer.echo(f"{len(problems)} problem(s) in {course_dir}", err=True)
        raise typer.Exit(EXIT_USAGE)
    from tutor.course.loader import load_course

    course = load_course(course_dir)
    labs = sum(1 for lesson in course.lessons.values() if lesson.lab)
    typer.echo(
        f"ok: {len(course.lessons)} lessons, {labs} labs, {len(course.rubrics)} rubrics, "
        f"contract v{course.contract.policy.version} ({course_dir})"
    )
