"""Schema migrations with Alembic, for SQLite and PostgreSQL (scripts in ``alembic/``).

``migrate(engine)`` brings a database to the newest revision this code knows. Only one
process migrates at a time: on PostgreSQL a transaction-level advisory lock, on SQLite the
``BEGIN IMMEDIATE`` write lock, both held for the whole upgrade, so a second process opening
a fresh database at once waits, then finds nothing left to do.

A SQLite file made before Alembic (``PRAGMA user_version`` 1, 2 or 3, no ``alembic_version``
table) keeps every row: a version-1 file gets the legacy numbered step it lacks
(``migrations.py``), then the file is stamped at the revision its version equals (2 -> 0002,
3 -> 0003) and upgraded from there like any other. A database at a revision
this code does not know was written by a newer tutor: ``SchemaTooNew``, nothing touched.

Opening a database that is already at ``HEAD`` (every open but the first) reads one row and
takes no write lock, and Alembic is not even imported: it costs a third of a second of every
cold command, and a read-only home must still open for reading.
"""

from __future__ import annotations

from pathlib import Path

from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from tutor.store import migrations as legacy
from tutor.store.engine import writer

if TYPE_CHECKING:
    from alembic.config import Config

SCRIPTS = Path(__file__).with_name("alembic")
BASELINE = "0002"
HEAD = "0005"  # the newest script in alembic/versions; tests/store keeps the two equal
LEGACY_REVISIONS = {2: "0002", 3: "0003"}  # numbered user_version -> the revision with its layout
LOCK_KEY = 0x7475746F72  # "tutor": pg_advisory_xact_lock key for migrations


class SchemaTooNew(Exception):
    """The database was written by a newer tutor; an older one must not guess at its layout."""


def _config(connection: Connection | None = None) -> "Config":
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPTS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    return HEAD


def script_head() -> str:
    """The head revision of the Alembic scripts themselves (what HEAD must equal)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}


def current(engine: Engine) -> str | None:
    """The revision the database is at (None: empty, or a pre-Alembic SQLite file)."""
    with engine.connect() as conn:
        return _recorded_revision(conn)


def _recorded_revision(conn: Connection) -> str | None:
    """alembic_version's row, read with plain SQL (what Alembic's MigrationContext reads)."""
    if "alembic_version" not in inspect(conn).get_table_names():
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def at_head(engine: Engine) -> bool:
    """True when the database is at HEAD: one read, no lock, nothing imported."""
    try:
        with engine.connect() as conn:
            return _recorded_revision(conn) == HEAD
    except DBAPIError:  # no rights to read it, a locked file: let migrate() say what is wrong
        return False


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Upgrade to the head revision under the migration lock; returns (found, now)."""
    if at_head(engine):
        return HEAD, HEAD
    from alembic import command

    with writer(engine).connect() as conn, conn.begin():  # SQLite: BEGIN IMMEDIATE, the write lock
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
        found = _prepare(conn)
        if found != head():
            command.upgrade(_config(conn), "head")
    return found, head()


def _prepare(conn: Connection) -> str | None:
    from alembic import command

    found = _recorded_revision(conn)
    if found is not None and found not in known_revisions():
        raise SchemaTooNew(f"schema revision {found} is newer than this tutor knows ({head()})")
    if found is None and conn.dialect.name == "sqlite":
        version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
        if version > legacy.LAST_NUMBERED:
            raise SchemaTooNew(f"schema version {version} is newer than this tutor knows")
        if version and "learners" in inspect(conn).get_table_names():
            for step in range(version + 1, legacy.CURRENT_VERSION + 1):
                for statement in legacy.STEPS[step]:
                    conn.exec_driver_sql(statement)
                conn.exec_driver_sql(f"PRAGMA user_version = {step}")
            command.stamp(_config(conn), LEGACY_REVISIONS[max(version, legacy.CURRENT_VERSION)])
            return f"sqlite user_version {version}"
    return found
