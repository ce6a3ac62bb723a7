"""Rows written once by their origin: the identity a row got where it was first written
(a uuid, revision 0005), unique per learner. A row sent again, from the on-disk queue
(tutor.store.pending) or by ``tutor db push``, is skipped when the database already has it
with the same content and reported as a conflict when it has other content: never
overwritten, never written twice.

Row values travel as JSON (``to_json``/``from_json``): times as ISO 8601 UTC strings.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import Connection, DateTime, insert, select

from tutor.store.models import (CheckAttemptRow, ContractEventRow, MisconceptionRow, RunRow, SubmissionRow,
                                SummaryRow, TurnRow, iso)

# the tables whose rows carry an origin, by table name
ROWS = {cls.__tablename__: cls for cls in (TurnRow, MisconceptionRow, ContractEventRow, SubmissionRow, RunRow,
                                           SummaryRow, CheckAttemptRow)}
INSERTED, SAME, CONFLICT = "inserted", "same", "conflict"


def new_origin() -> str:
    return uuid.uuid4().hex


def _table(name: str):
    if name not in ROWS:
        raise ValueError(f"no table {name!r} with row origins")
    return ROWS[name].__table__


def to_json(values: dict) -> dict:
    """Row values as plain JSON (times as ISO strings), without the local id."""
    return {k: (iso(v) if isinstance(v, datetime) else v) for k, v in values.items() if k != "id"}


def from_json(table: str, values: dict) -> dict:
    """Row values ready to insert into ``table``: only its columns, times parsed back."""
    columns = _table(table).columns
    out = {}
    for key, value in values.items():
        if key == "id" or key not in columns:
            continue
        kind = columns[key].type
        if isinstance(getattr(kind, "impl", kind), DateTime) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        out[key] = value
    return out


def _comparable(value):
    if isinstance(value, datetime):  # SQLite keeps no offset: naive means UTC
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return value


def differences(table: str, stored: dict, values: dict) -> list[str]:
    """The columns where a stored row and the values sent for it differ."""
    return sorted(k for k, v in from_json(table, values).items()
                  if _comparable(stored.get(k)) != _comparable(v))


def put_once(conn: Connection, table: str, values: dict, *, fresh: bool = False) -> tuple[str, int, list[str]]:
    """Insert the row unless one with its (learner, origin) is there: (outcome, id, the columns
    that differ for a conflict). ``values`` must hold learner_id and origin. ``fresh``: the
    origin was made just now (new_origin), so no row can have it and the look-up is skipped."""
    row = from_json(table, values)
    if not row.get("origin") or not row.get("learner_id"):
        raise ValueError("a row sent once needs its learner_id and origin")
    t = _table(table)
    found = None if fresh else conn.execute(
        select(t).where(t.c.learner_id == row["learner_id"], t.c.origin == row["origin"])).mappings().first()
    if found is None:
        return INSERTED, conn.execute(insert(t).returning(t.c.id), [row]).scalar_one(), []
    diff = differences(table, dict(found), values)
    return (CONFLICT if diff else SAME), found["id"], diff
