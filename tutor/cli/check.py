"""``tutor check [LAB_DIR] [--todo NAME] [--json]``: run the lab's checks on your TODO functions
in the sandbox. Exit 0 when every implemented TODO passes, 1 when one does not, 2 on bad input."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from tutor.cli.common import EXIT_OK, EXIT_PROBLEMS, fail, print_json, settings
from tutor.run_backend import BACKEND_HELP, BackendChoiceError, resolve


def register(app: typer.Typer) -> None:
    app.command("check")(check_lab)


def check_lab(
    lab_dir: Optional[Path] = typer.Argument(None, help="Your lab folder (default: labs/lesson_NN of your current lesson)."),
    todo: Optional[str] = typer.Option(None, "--todo", help="Check only this TODO function."),
    paste: Optional[Path] = typer.Option(None, "--paste", help="A file with a function to check in place of yours ('-': stdin)."),
    lesson: Optional[int] = typer.Option(None, "--lesson", min=1, help="The lesson whose checks apply (default: lab.toml)."),
    backend: Optional[str] = typer.Option(None, "--backend", help=BACKEND_HELP),
    learner: str = typer.Option("default", "--learner", help="Learner id for the attempt history."),
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
) -> None:
    """Run the lab's own checks on your TODO functions, in the sandbox; coach on the first failure."""
    from tutor.checks.evaluate import CheckInputError, evaluate
    from tutor.checks.report import text
    from tutor.checks.spec import load_checks
    from sandbox import SandboxError

    cfg = settings()
    try:
        target = resolve(cfg, backend)
    except BackendChoiceError as exc:
        fail(str(exc))
    store = _store(cfg)
    if lab_dir is None:
        current = store.current_lesson(learner) if store is not None and store.has_learner(learner) else None
        if current is None:
            fail("no current lesson known; pass the lab folder, e.g. tutor check labs/lesson_01")
        from tutor.paths import learner_lab_dir

        lab_dir = learner_lab_dir(current)
    if not lab_dir.is_dir():
        fail(f"lab folder {lab_dir} does not exist; pass the folder holding your starter.py")
    lesson = lesson or _lesson_of(lab_dir)
    if lesson is None:
        fail(f"cannot tell which lesson {lab_dir} belongs to (no lab.toml); pass --lesson N")
    course_lab = Path(cfg.course_dir) / "curriculum" / "labs" / f"lesson_{lesson:02d}"
    checks, problems = load_checks(course_lab)
    if problems:
        fail(f"the checks of lesson {lesson} are invalid: {problems[0]}")
    if checks is None:
        fail(f"lesson {lesson} has no checks.yaml; nothing to check")
    code = None
    if paste is not None:
        try:
            code = sys.stdin.read() if str(paste) == "-" else paste.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            fail(f"cannot read {paste} ({exc})")
    try:
        evaluation = evaluate(lab_dir, checks, code=code, todo=todo, backend=target.sandbox_backend,
                              scheduler=target.scheduler, slurm=target.slurm)
    except CheckInputError as exc:
        fail(str(exc))
    except SandboxError as exc:  # the Slurm backend's setup (shared directory, sbatch) is the user's to fix
        fail(str(exc))
    stored = False
    if store is not None:
        try:
            store.record_check_attempts(learner, lesson, [t.to_dict() for t in evaluation.todos],
                                        "paste" if code is not None else "lab")
            stored = True
        except Exception as exc:  # the check ran; say why the history missed it
            typer.echo(f"tutor: the attempt was not stored in the progress DB ({exc})", err=True)
    if as_json:
        print_json({"lab_dir": str(lab_dir), "lesson": lesson, **evaluation.to_dict(), "stored": stored})
    else:
        typer.echo(text(evaluation))
    bad = [t for t in evaluation.todos if t.status not in ("passed", "not_started")]
    raise typer.Exit(EXIT_PROBLEMS if bad or evaluation.import_error else EXIT_OK)


def _lesson_of(lab_dir: Path) -> int | None:
    from tutor.cli.run import _lesson_of as from_toml
    from tutor.checks.references import lesson_of

    return from_toml(lab_dir) or lesson_of(lab_dir)


def _store(cfg):
    try:
        from tutor.store import open_store

        return open_store(cfg)
    except Exception as exc:
        typer.echo(f"tutor: no progress store ({exc}); attempts are not recorded", err=True)
        return None
