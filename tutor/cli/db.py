"""`tutor db`: the progress database's schema and, on a cohort PostgreSQL database, its roles.

    tutor db upgrade               run the migrations now (otherwise they run on first open)
    tutor db current               print the schema revision (and the newest this tutor knows)
    tutor db grant-learner ID      a login role that reads and writes only learner ID's rows
    tutor db grant-instructor NAME a login role that reads and writes every learner's rows

The URL is always shown with its password masked. A grant prints the new role's password once,
on stdout, for the person it is for; it is never logged or stored by the tutor.
"""

from __future__ import annotations

import typer

from tutor.cli.common import fail, print_json, settings

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
    # URL.set ignores None: the owner's password is replaced outright, never carried over
    shown = urls.parse(cfg.store_url).set(username=role, password="PASSWORD").render_as_string(hide_password=False)
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
