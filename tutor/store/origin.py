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

from tutor.store.models import (CheckAttemptRow, ContractEventRow, LessonProgressRow, MisconceptionRow, ProfileRow,
                                RunRow, SubmissionRow, SummaryRow, TurnRow, iso)

# the tables whose rows carry an origin, by table name
ROWS = {cls.__tablename__: cls for cls in (TurnRow, MisconceptionRow, ContractEventRow, SubmissionRow, RunRow,
                                           SummaryRow, CheckAttemptRow)}
# what identifies a row of each table across databases: the origin, or the table's natural key
KEYS = {**{name: ("learner_id", "origin") for name in ROWS},
        "profiles": ("learner_id",), "lesson_progress": ("learner_id", "lesson")}
MODELS = {**ROWS, "profiles": ProfileRow, "lesson_progress": LessonProgressRow}
# bookkeeping that differs between two copies of the same row without making them different
IGNORED = {"profiles": {"updated_at"}, "lesson_progress": {"updated_at"}}
INSERTED, SAME, CONFLICT = "inserted", "same", "conflict"


def new_origin() -> str:
    return uuid.uuid4().hex


def _table(name: str):
    if name not in MODELS:
        raise ValueError(f"no table {name!r} with row origins")
    return MODELS[name].__table__


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
    """Insert the row unless one with its key (learner and origin, or the table's natural key:
    KEYS) is there: (outcome, id, the columns that differ for a conflict). ``fresh``: the
    origin was made just now (new_origin), so no row can have it and the look-up is skipped."""
    row = from_json(table, values)
    keys = KEYS[table]
    if any(row.get(k) is None for k in keys):
        raise ValueError(f"a row sent once needs its {' and '.join(keys)}")
    t = _table(table)
    found = None if fresh else conn.execute(select(t).where(*[t.c[k] == row[k] for k in keys])).mappings().first()
    returning = t.c.id if "id" in t.c else t.c[keys[0]]
    if found is None:
        return INSERTED, conn.execute(insert(t).returning(returning), [row]).scalar_one(), []
    diff = [k for k in differences(table, dict(found), values) if k not in keys and k not in IGNORED.get(table, ())]
    return (CONFLICT if diff else SAME), found[returning.name], diff
