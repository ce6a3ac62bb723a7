"""open_store: one migrated engine per database and process, reused by later calls.

The database is ``settings.database_url`` (a SQLAlchemy URL: PostgreSQL for a cohort) or,
unset, the SQLite file ``settings.db_path``. Messages name the database with its password
masked; the URL itself is never logged or stored.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from tutor import paths
from tutor.store import schema, urls
from tutor.store.engine import create_server_engine, create_store_engine
from tutor.store.store import ProgressStore, StoreError

_ENGINES: "OrderedDict[tuple[str, int], Engine]" = OrderedDict()
_LOCK = threading.Lock()
_KEEP = 8  # engines kept open per process (tests open many homes; each holds file handles)


def text_logging_allowed(settings) -> bool:
    """Both the user's setting and the course contract must allow storing conversation text.
    A contract that cannot be read allows nothing: privacy is the safe side to fail on."""
    if not getattr(settings, "log_text", True):
        return False
    try:
        from tutor.contract import contract_for_course

        return bool(contract_for_course(settings.course_dir).policy.log_conversation_text)
    except Exception:
        return False


def open_store(settings, *, path: Path | None = None, url: str | None = None) -> ProgressStore:
    """The progress store at ``url``, ``settings.database_url``, or the SQLite file
    ``settings.db_path`` (or ``path``), created or upgraded to the current schema. Raises
    StoreError saying which database and what to do when it cannot be used."""
    url = url or (None if path else getattr(settings, "store_url", None))
    if url:
        try:
            parsed = urls.parse(url)
        except urls.BadURL as exc:
            raise StoreError(str(exc)) from None
        if parsed.drivername == "sqlite":
            path = Path(parsed.database or settings.db_path)
        else:
            return ProgressStore(_engine_for(parsed.render_as_string(hide_password=False), None),
                                 urls.display_url(parsed), text_logging=text_logging_allowed(settings),
                                 pending_dir=pending_dir(settings))
    db_path = Path(path or settings.db_path)
    return ProgressStore(_engine_for(str(db_path.expanduser().absolute()), db_path), db_path,
                         text_logging=text_logging_allowed(settings), pending_dir=pending_dir(settings))


def pending_dir(settings) -> Path | None:
    """Where a learner's records wait while the database is away (tutor.store.pending)."""
    home = getattr(settings, "home_dir", None)
    return Path(home) / "pending" if home else None


def _engine_for(key_url: str, path: Path | None) -> Engine:
    key = (key_url, os.getpid())
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is not None and (path is None or path.exists()):
            _ENGINES.move_to_end(key)
            return engine
        if engine is not None:  # the file went away under us (deleted home): start afresh
            _ENGINES.pop(key).dispose()
        engine = _migrated_engine(path) if path is not None else _migrated_server(key_url)
        _ENGINES[key] = engine
        while len(_ENGINES) > _KEEP:
            _ENGINES.popitem(last=False)[1].dispose()
        return engine


POSTGRES_EXTRA = "pip install 'course-tutor[postgres]'"


def _migrated_server(url: str) -> Engine:
    shown = urls.display_url(url)
    missing = postgres_missing()
    if missing:
        raise StoreError(f"{shown} {missing}")
    engine = create_server_engine(url)
    try:
        schema.migrate(engine)
    except schema.SchemaTooNew as exc:
        engine.dispose()
        raise StoreError(f"{shown}: {exc}; upgrade the tutor (pip install -U), or point "
                         "TUTOR_DATABASE_URL at another database") from None
    except OperationalError as exc:
        engine.dispose()
        raise StoreError(f"cannot connect to {shown}: {server_reason(exc)}") from None
    except DBAPIError as exc:
        engine.dispose()
        raise StoreError(f"{shown} cannot be used as the progress DB: {first_line(exc.orig)}; "
                         "check the role's rights (tutor db upgrade as the owner)") from None
    return engine


def postgres_missing() -> str | None:
    """Why a PostgreSQL URL cannot be used by this install (the default one has no driver), or
    None: said in one line, where the import would otherwise be an "internal error"."""
    missing = [name for name in ("psycopg", "langgraph.checkpoint.postgres") if not _importable(name)]
    if not missing:
        return None
    return f"needs the PostgreSQL extra ({', '.join(missing)} not installed): {POSTGRES_EXTRA}"


def _importable(module: str) -> bool:
    from importlib.util import find_spec

    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # a parent package (langgraph.checkpoint) is missing
        return False


def first_line(error) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def server_reason(exc: OperationalError) -> str:
    """What went wrong connecting, and what to do, in one line without the URL."""
    message = first_line(exc.orig)
    if "password authentication failed" in message or "no password supplied" in message:
        return "the server refused the password; check the user and password in TUTOR_DATABASE_URL"
    if "does not exist" in message:
        return f"{message}; create it, or fix the name in TUTOR_DATABASE_URL"
    if "Connection refused" in message or "timeout" in message.lower() or "could not translate" in message:
        return "the server is not reachable; check that PostgreSQL runs and the host and port in TUTOR_DATABASE_URL"
    return f"{message}; check TUTOR_DATABASE_URL"


def _migrated_engine(path: Path) -> Engine:
    try:
        engine = create_store_engine(path)
    except OSError as exc:
        raise StoreError(f"cannot create the progress DB folder {path.parent}: {exc.strerror}; "
                         "set TUTOR_HOME to a writable folder") from None
    try:
        schema.migrate(engine)
    except schema.SchemaTooNew as exc:
        engine.dispose()
        raise StoreError(f"{path}: {exc}; upgrade the tutor, or set TUTOR_HOME to use another folder") from None
    except (sqlite3.DatabaseError, DBAPIError) as exc:
        engine.dispose()
        if not paths.writable(path.parent):  # a read-only TUTOR_HOME: the file is fine, the folder is not
            raise StoreError(f"cannot write the progress DB in {path.parent} (read-only); make it writable "
                             "or set TUTOR_HOME to a writable folder") from None
        raise StoreError(f"{path} cannot be used as the progress DB ({first_line(getattr(exc, 'orig', exc))}); "
                         "move it aside to start a new one, or set TUTOR_HOME to another folder") from None
    return engine
