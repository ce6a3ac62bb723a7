"""The LangGraph checkpointer for a session: the SQLite file under TUTOR_HOME by default, or,
when ``database_url`` is PostgreSQL, langgraph-checkpoint-postgres on the same database as
the progress store (its tables are made by the store's migration 0004, under row security,
so a learner's role never creates tables and reads only its own threads)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator


def libpq_url(url: str) -> str | None:
    """The psycopg connection string for a PostgreSQL SQLAlchemy URL; None for SQLite."""
    from tutor.store.urls import is_postgres, libpq_dsn

    return libpq_dsn(url) if is_postgres(url) else None


CHECKPOINTS_AWAY = ("(The conversation memory could not be saved either: the next turn may not "
                    "remember this one.)")


def checkpoints_unreachable(error: BaseException) -> bool:
    """The checkpoint database cannot be reached (server gone, connection killed, file unusable)."""
    import sqlite3

    from tutor.store.keeping import is_unreachable

    if is_unreachable(error) or isinstance(error, sqlite3.OperationalError):
        return True
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(error, (psycopg.OperationalError, psycopg.InterfaceError))


@asynccontextmanager
async def saver_for(settings, *, in_memory: bool = False) -> AsyncIterator:
    """The thread's saver; ``in_memory``: one for this turn only, when the database is away."""
    if in_memory:
        from langgraph.checkpoint.memory import InMemorySaver

        yield InMemorySaver()
        return
    url = getattr(settings, "store_url", None)
    conninfo = libpq_url(url) if url else None
    if conninfo is None:
        from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

        async with AsyncSqliteSaver.from_conn_string(str(settings.checkpoint_path)) as saver:
            saver.serde = redacting_serializer()
            yield saver
        return
    from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

    async with AsyncPostgresSaver.from_conn_string(conninfo) as saver:
        saver.serde = redacting_serializer()
        yield saver


def redacting_serializer():
    """LangGraph's own serializer, with every string of what it writes (the thread's message,
    history, summaries...) passed through tutor.redact first: a password in a URL the learner
    typed is never written to the checkpoints. Reading is unchanged."""
    global _RedactingSerializer
    if _RedactingSerializer is None:
        from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

        from tutor.redact import redact_deep

        class RedactingSerializer(JsonPlusSerializer):  # a subclass: with_msgpack_allowlist copies it as is
            def dumps_typed(self, obj):
                return super().dumps_typed(redact_deep(obj))

        _RedactingSerializer = RedactingSerializer
    return _RedactingSerializer()


_RedactingSerializer = None  # made on first use: langgraph is imported only when a turn runs
