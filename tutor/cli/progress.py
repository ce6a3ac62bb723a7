"""`tutor progress`: a learner's own progress and where we left off."""

from __future__ import annotations

from typing import Optional

import typer

from tutor.cli.common import check_learner, fail, print_json, settings
from tutor.untrusted import terminal

DEFAULT_LEARNER = "default"


def register(app: typer.Typer) -> None:
    app.command("progress")(progress)


def open_store_or_fail(cfg):
    from tutor.store import StoreError, open_store

    try:
        return open_store(cfg)
    except StoreError as exc:
        fail(str(exc))


def unknown_learner(store, learner: str):
    known = store.learners()
    listed = ", ".join(known[:10]) + (", ..." if len(known) > 10 else "") if known else "none yet"
    fail(f"no learner '{learner}' in {store.path}; known learners: {listed}")


def progress(
    learner: Optional[str] = typer.Option(None, "--learner", callback=check_learner, help=f"Learner id (default: your database role's learner, else {DEFAULT_LEARNER})."),
    as_json: bool = typer.Option(False, "--json", help="Print the progress as JSON."),
) -> None:
    """Your lessons, attempts and grades, open misconceptions, and where we left off."""
    from tutor.store.overview import learner_overview, overview_lines

    store = open_store_or_fail(settings())
    bound = store.bound_learner()  # on a cohort database a learner's role is that learner
    if bound is not None and learner is not None and learner != bound:
        fail(f"this database role belongs to learner {bound!r} and cannot read {learner!r}'s progress; "
             f"drop --learner (or use --learner {bound})")
    learner_id = learner or bound or DEFAULT_LEARNER
    if not store.has_learner(learner_id):
        if learner is not None:
            unknown_learner(store, learner_id)
        view = {"learner": learner_id, "profile": None, "current_lesson": None, "lessons": [],
                "where_left_off": None, "open_misconceptions": []}
    else:
        view = learner_overview(store, learner_id)
    if as_json:
        print_json(view)
    elif not view["lessons"] and view["where_left_off"] is None and learner is None:
        typer.echo(terminal(f"No progress recorded yet for learner '{learner_id}'. Start with `tutor` (or `tutor chat`)."))
    else:  # learner ids (submission folder names), notes and misconceptions are untrusted text
        typer.echo(terminal("\n".join(overview_lines(view)), one_line=False))
