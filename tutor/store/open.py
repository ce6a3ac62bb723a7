"""open_store: one migrated engine per DB file and process, reused by later calls."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import OrderedDict
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from tutor import paths
from tutor.store import migrations
from tutor.store.engine import create_store_engine
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


def open_store(settings, *, path: Path | None = None) -> ProgressStore:
    """The progress store at ``settings.db_path`` (or ``path``), created or upgraded to the
    current schema. Raises StoreError with the file and what to do when it cannot be used."""
    db_path = Path(path or settings.db_path)
    return ProgressStore(_engine_for(db_path), db_path, text_logging=text_logging_allowed(settings))


def _engine_for(path: Path) -> Engine:
    key = (str(path.expanduser().absolute()), os.getpid())
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is not None and path.exists():
            _ENGINES.move_to_end(key)
            return engine
        if engine is not None:  # the file went away under us (deleted home): start afresh
            _ENGINES.pop(key).dispose()
        engine = _migrated_engine(path)
        _ENGINES[key] = engine
        while len(_ENGINES) > _KEEP:
            _ENGINES.popitem(last=False)[1].dispose()
        return engine


def _migrated_engine(path: Path) -> Engine:
    try:
        engine = create_store_engine(path)
    except OSError as exc:
        raise StoreError(f"cannot create the progress DB folder {path.parent}: {exc.strerror}; "
                         "set TUTOR_HOME to a writable folder") from None
    try:
        raw = engine.raw_connection()
        try:
            migrations.upgrade(raw.driver_connection)
        finally:
            raw.close()
    except migrations.SchemaTooNew as exc:
        engine.dispose()
        raise StoreError(f"{path}: {exc}; upgrade the tutor, or set TUTOR_HOME to use another folder") from None
    except (sqlite3.DatabaseError, DBAPIError) as exc:
        engine.dispose()
        if not paths.writable(path.parent):  # a read-only TUTOR_HOME: the file is fine, the folder is not
            raise StoreError(f"cannot write the progress DB in {path.parent} (read-only); make it writable "
                             "or set TUTOR_HOME to a writable folder") from None
        raise StoreError(f"{path} cannot be used as the progress DB ({exc}); move it aside to start "
                         "a new one, or set TUTOR_HOME to another folder") from None
    return engine
