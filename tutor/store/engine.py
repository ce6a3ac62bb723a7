"""Engines for the progress DB. SQLite: WAL, a busy timeout, foreign keys, and explicit
transactions so that writers queue on the write lock instead of failing.

Python's sqlite3 module opens transactions lazily and as DEFERRED; a deferred transaction
that has read and then wants to write cannot wait for the lock (SQLITE_BUSY at once, whatever
the busy timeout). So the driver is put in autocommit mode and the ``begin`` event issues the
BEGIN itself: ``BEGIN IMMEDIATE`` on the writer engine (takes the write lock up front and
waits up to the busy timeout for it), plain ``BEGIN`` on the reader, which in WAL mode never
blocks and never blocks a writer.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event

from tutor.store.urls import CONNECT_TIMEOUT_S as PG_CONNECT_TIMEOUT_S

BUSY_TIMEOUT_MS = 30_000
# WAL + NORMAL: a commit survives a killed process (the WAL is in the OS page cache); only
# an OS crash or power cut can lose the last few commits. FULL would fsync every commit.
SYNCHRONOUS = "NORMAL"


def create_store_engine(path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see the module doc)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("sqlite_write") else "BEGIN")

    return engine




def create_server_engine(url) -> Engine:
    """A pooled engine on a database server (PostgreSQL); a dead connection is replaced
    before use (pre-ping), and an unreachable server fails within PG_CONNECT_TIMEOUT_S."""
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S, "application_name": "tutor"})


def writer(engine: Engine) -> Engine:
    """The same engine and pool, whose transactions begin IMMEDIATE."""
    return engine.execution_options(sqlite_write=True)
