"""`tutor db`: the progress database's schema and, on a cohort PostgreSQL database, its roles.

    tutor db upgrade               run the migrations now (otherwise they run on first open)
    tutor db current               print the schema revision (and the newest this tutor knows)
    tutor db grant-learner ID      a login role that reads and writes only learner ID's rows
    tutor db grant-instructor NAME a login role that reads and writes every learner's rows
    tutor db push --to URL         copy a learner's rows and threads into a cohort database, once

The URL is always shown with its password masked. A grant prints the new role's password once,
on stdout, for the person it is for; it is never logged or stored by the tutor.
"""

from __future__ import annotations

import typer

from tutor.cli.common import check_learner, fail, print_json, settings

db_app = typer.Typer(help="The progress database: schema revision, migrations, cohort roles.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")


def _store(cfg):
    from tutor.cli.progress import open_store_or_fail

    return open_store_or_fail(cfg)  # opening migrates, under the migration lock


@db_app.command("upgrade")
def upgrade() -> None:
    """Bring the database to the newest schema revision this tutor knows."""
    from tutor.store import schema

    cfg = settings()
    before = _status_or_fail(cfg).revision
    store = _store(cfg)
    typer.echo(f"{cfg.database_display}: schema revision {before or 'none'} -> {store.schema_version} "
               f"(newest: {schema.head()})")


def _status_or_fail(cfg):
    from tutor.store.status import database_status

    st = database_status(cfg)
    if not st.reachable or (st.problem and st.kind != "sqlite"):
        fail(f"cannot use {st.where}: {st.problem}")
    return st


@db_app.command("current")
def current(as_json: bool = typer.Option(False, "--json", help="Print machine-readable output.")) -> None:
    """Print the database's schema revision (nothing is created or migrated)."""
    st = _status_or_fail(settings())
    if st.newer:
        fail(st.newer_problem())
    if as_json:
        print_json({"kind": st.kind, "database": st.where, "revision": st.revision, "head": st.head,
                    "row_security": st.row_security_on, "learner": st.learner})
        return
    typer.echo(f"{st.revision or 'none'} ({st.kind} {st.where}; this tutor knows up to {st.head})")


def _grant(kind: str, name: str) -> None:
    import sqlalchemy
    from sqlalchemy.exc import DBAPIError

    from tutor.store import cohort, urls

    cfg = settings()
    if not cfg.store_url or not urls.is_postgres(cfg.store_url):
        fail("roles exist only on a cohort database: set TUTOR_DATABASE_URL=postgresql+psycopg://OWNER@HOST/DB")
    store = _store(cfg)
    try:
        with store.engine.begin() as conn:
            role, password = cohort.grant(conn, kind, name)
    except ValueError as exc:
        fail(f"cannot grant {kind} {name!r}: {exc}")
    except DBAPIError as exc:
        from tutor.store.open import first_line

        fail(f"cannot create the role: {first_line(exc.orig)}; run this as the database owner with CREATEROLE")
    # built from the owner's host and database only: the owner's password (userinfo or ?password=) never rides along
    shown = urls.role_url(cfg.store_url, role)
    typer.echo(f"{kind} {name}: database role {role} (members of {cohort.LEARNER_GROUP if kind == 'learner' else cohort.INSTRUCTOR_GROUP})")
    typer.echo(f"password (shown once, give it to them privately): {password}")
    typer.echo(f"they connect with: export TUTOR_DATABASE_URL='{shown}'")


@db_app.command("grant-learner")
def grant_learner(learner: str = typer.Argument(..., help="The learner id.")) -> None:
    """Create the login role of a learner, who then sees and writes only their own rows."""
    _grant("learner", learner)


@db_app.command("grant-instructor")
def grant_instructor(name: str = typer.Argument(..., help="The instructor's name.")) -> None:
    """Create the login role of an instructor, who reads and writes every learner's rows."""
    _grant("instructor", name)


@db_app.command("push")
def push(
    to: str = typer.Option(..., "--to", help="The cohort database to copy into (a SQLAlchemy URL, e.g. postgresql+psycopg://ROLE@HOST/DB)."),
    learner: str = typer.Option(None, "--learner", callback=check_learner,
                                help="The learner on this machine whose rows to copy (default: the target role's "
                                     "learner, else 'default'); on a learner role they become that role's learner."),
    as_json: bool = typer.Option(False, "--json", help="Print the counts and conflicts as JSON."),
) -> None:
    """Copy one learner's rows and conversation threads from this tutor's store (the SQLite
    default) into a cohort database. Run it again and nothing is copied twice; a row the target
    has with other content is reported and left as it is. Exit 0: done; 1: conflicts; 2: error."""
    from pathlib import Path

    from sqlalchemy.exc import DBAPIError

    from tutor.store import StoreError, open_store, urls
    from tutor.store.keeping import is_unreachable
    from tutor.store.open import first_line
    from tutor.store.push import DEFAULT, PushReport, push_rows, push_threads, same_database, sync_saver

    cfg = settings()
    try:
        parsed = urls.parse(to)
    except urls.BadURL as exc:
        fail(f"--to: {exc}")
    target_url, shown = parsed.render_as_string(hide_password=False), urls.display_url(parsed)
    if parsed.drivername == "sqlite" and not parsed.database:
        fail("--to: a SQLite target needs a file, e.g. sqlite:////path/to/progress.db")
    if same_database(cfg, parsed):
        fail(f"{shown} is the database this tutor already uses; push copies into another one")
    source = _store(cfg)
    try:
        target = open_store(cfg, url=target_url)
    except StoreError as exc:
        fail(str(exc))
    bound = target.bound_learner()
    if learner is None:  # the role's learner if this machine has them, else the unnamed default
        learner = bound if bound and source.has_learner(bound) else DEFAULT
    if not source.has_learner(learner):
        fail(f"no learner {learner!r} in {cfg.database_display}; name the one to push with --learner")
    report = PushReport(learner)
    try:
        push_rows(source, target, learner, report)
        # a SQLite target keeps its threads beside it, as TUTOR_HOME does (checkpoints.db)
        there = Path(parsed.database or ".").with_name(cfg.checkpoint_path.name)
        with sync_saver(cfg.store_url, cfg.checkpoint_path, create=False) as mine, \
                sync_saver(target_url, there, create=True) as theirs:
            push_threads(mine, theirs, learner, report)
    except StoreError as exc:
        fail(str(exc))
    except DBAPIError as exc:
        why = "is not reachable" if is_unreachable(exc) else "refused a row"
        fail(f"{shown} {why} ({first_line(exc.orig)}); nothing after the last copied row was written, "
             "run push again (copied rows are not copied twice)")
    except Exception as exc:  # noqa: BLE001 - psycopg's own connection errors (the checkpoint saver)
        from tutor.agent.checkpoints import checkpoints_unreachable

        if not checkpoints_unreachable(exc):
            raise
        fail(f"{shown}: the conversation threads could not be copied ({first_line(exc)}); run push again")
    if as_json:
        print_json({**report.to_dict(), "to": shown})
    else:
        mine = report.target_learner
        typer.echo(f"pushed learner {learner}{f' as {mine}' if mine != learner else ''} to {shown}")
        for line in report.lines():
            typer.echo(line)
    if report.conflicts:
        raise typer.Exit(1)
