"""The two upserts every write makes (the learner seen, a lesson started) for each dialect, and
the lesson status rules."""

from __future__ import annotations

from sqlalchemy import bindparam, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from tutor.store.models import STATUSES, LearnerRow, LessonProgressRow


def _touch_statement(upsert):
    """Create the learner or mark it seen; keeps current_lesson when this write has none."""
    stmt = upsert(LearnerRow).values(id=bindparam("id"), created_at=bindparam("now"),
                                            last_seen_at=bindparam("now"), current_lesson=bindparam("lesson"))
    return stmt.on_conflict_do_update(index_elements=["id"], set_={
        "last_seen_at": stmt.excluded.last_seen_at,
        "current_lesson": func.coalesce(stmt.excluded.current_lesson, LearnerRow.current_lesson)})


def _start_lesson_statement(upsert):
    """A lesson not yet started becomes in progress; any other status is left alone."""
    stmt = upsert(LessonProgressRow).values(
        learner_id=bindparam("learner"), lesson=bindparam("lesson"), status="in_progress", attempts=0,
        started_at=bindparam("now"), updated_at=bindparam("now"))
    return stmt.on_conflict_do_update(
        index_elements=["learner_id", "lesson"],
        set_={"status": "in_progress", "updated_at": stmt.excluded.updated_at,
              "started_at": func.coalesce(LessonProgressRow.started_at, stmt.excluded.started_at)},
        where=LessonProgressRow.status == "not_started")


# the two dialects spell an upsert the same way, but each needs its own construct
TOUCH = {"sqlite": _touch_statement(sqlite_insert), "postgresql": _touch_statement(pg_insert)}
START_LESSON = {"sqlite": _start_lesson_statement(sqlite_insert), "postgresql": _start_lesson_statement(pg_insert)}


def apply_status(row: LessonProgressRow, status: str, now) -> None:
    """The status rules: never backwards from passed; each submission is an attempt."""
    if status not in STATUSES:
        raise ValueError(f"unknown lesson status {status!r}; use one of {', '.join(STATUSES)}")
    if status == "submitted":
        row.attempts = (row.attempts or 0) + 1
        row.submitted_at = now
    if status != "not_started" and row.started_at is None:
        row.started_at = now
    if status == "passed" and row.passed_at is None:
        row.passed_at = now
    if row.status != "passed":
        row.status = status
    row.updated_at = now
