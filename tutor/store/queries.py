"""The instructor's questions, each one function over an open session: a learner's timeline,
the cohort matrix, the most frequent misconceptions, contract events per learner, and the
flat learner x lesson table that the export writes."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from tutor.store import check_history, records
from tutor.store.models import (ContractEventRow, CriterionScoreRow, MisconceptionRow, RunRow, SubmissionRow,
                                SummaryRow, TurnRow, iso)

REFUSAL_ACTIONS = ("coach", "refuse", "refused", "refusal")
KIND_ORDER = {"summary": 0, "turn": 1, "misconception": 2, "contract_event": 3, "run": 4, "submission": 5,
              "check": 6}


def _iso_text(value: str | datetime | None) -> str | None:
    """A DATETIME read by raw SQL (SQLite: 'YYYY-MM-DD HH:MM:SS.ffffff', UTC; PostgreSQL: an
    aware datetime) as ISO 8601 with offset."""
    if isinstance(value, datetime):
        return iso(value)
    return iso(datetime.fromisoformat(value)) if value else None


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def _rows(session: Session, sql: str, **params: Any) -> list[dict]:
    """Plain dicts straight from the driver, inside the session's transaction: these queries
    return thousands of rows, and SQLAlchemy's Row objects cost more than the SQL does. The SQL
    is written for both dialects with ``:name`` parameters (psycopg spells them %(name)s)."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        sql = _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))
    cursor = conn.connection.driver_connection.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def submission_dicts(session: Session, rows: list[SubmissionRow], *, with_report: bool) -> list[dict]:
    ids = [r.id for r in rows]
    by_submission: dict[int, list[CriterionScoreRow]] = {i: [] for i in ids}
    if ids:
        for c in session.exec(select(CriterionScoreRow).where(col(CriterionScoreRow.submission_id).in_(ids))
                              .order_by(CriterionScoreRow.id)).all():
            by_submission[c.submission_id].append(c)
    return [records.submission(r, by_submission[r.id], with_report=with_report) for r in rows]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.0f}%"


def timeline(session: Session, learner_id: str) -> list[dict]:
    """Everything recorded for one learner, oldest first; each event has time, kind, lesson, summary."""
    events: list[dict] = []

    def of(model):
        return session.exec(select(model).where(model.learner_id == learner_id).order_by(model.id)).all()

    for r in of(TurnRow):
        said = f": {r.message[:80]}" if r.message else ""
        events.append({**records.turn(r), "kind": "turn", "summary": f"{r.intent} -> {r.action}{said}"})
    for r in of(MisconceptionRow):
        state = " (resolved)" if r.resolved else ""
        events.append({**records.misconception(r), "kind": "misconception", "summary": f"{r.misconception_id}{state}"})
    for r in of(ContractEventRow):
        events.append({**records.contract_event(r), "kind": "contract_event", "summary": f"{r.rule}: {r.action}"})
    for r in of(RunRow):
        run = records.run(r)
        run.pop("record")
        took = "" if r.duration_s is None else f" in {r.duration_s:.1f} s"
        events.append({**run, "kind": "run", "summary": f"run {r.run_id}: {r.reason}{took}"})
    for sub in submission_dicts(session, of(SubmissionRow), with_report=False):
        verdict = "passed" if sub["passed"] else "not passed"
        copied = f"; DUPLICATE of {', '.join(sub['duplicate_of'])}" if sub["duplicate_of"] else ""
        events.append({**sub, "kind": "submission", "summary": f"graded {_pct(sub['total'])} ({verdict}){copied}"})
    for r in check_history.attempts(session, learner_id):
        failing = f" at {r.check_id}" if r.check_id else ""
        events.append({**check_history.attempt(r), "kind": "check", "summary": f"check {r.todo}: {r.status}{failing}"})
    for r in of(SummaryRow):
        events.append({**records.summary(r), "time": iso(r.created_at), "kind": "summary",
                       "summary": r.where_left_off})
    events.sort(key=lambda e: (e["time"] or "", KIND_ORDER[e["kind"]], e["id"]))
    return events


def _latest_grades(session: Session) -> dict[tuple[str, int], dict]:
    duplicate_of = ("(s.report::json -> 'submission' -> 'duplicate_of')::text"
                    if session.connection().dialect.name == "postgresql"
                    else "json_extract(s.report, '$.submission.duplicate_of')")
    rows = _rows(session, f"""
        SELECT s.learner_id, s.lesson, s.total, s.passed,
               {duplicate_of} AS duplicate_of FROM submissions AS s
        JOIN (SELECT MAX(id) AS id FROM submissions GROUP BY learner_id, lesson) AS latest ON latest.id = s.id""")
    return {(r["learner_id"], r["lesson"]): r for r in rows}


def _learner_list(value) -> list[str]:
    """json_extract's text of a list of learner ids (or None) -> the ids."""
    try:
        found = json.loads(value) if value else []
    except ValueError:
        return []
    return [str(v) for v in found] if isinstance(found, list) else []


def cohort_matrix(session: Session) -> dict:
    """{"lessons": [...seen], "rows": [{"learner", "cells": {lesson: {"status", "grade", "attempts",
    "duplicate_of"}}}]}. Every learner has a cell for every lesson seen; one never touched is
    not_started, grade None. duplicate_of: the other learners whose latest submission for the lesson
    had the same content (plagiarism is flagged in the matrix, never hidden)."""
    learners = [r["id"] for r in _rows(session, "SELECT id FROM learners ORDER BY id")]
    progress = _rows(session, "SELECT learner_id, lesson, status, attempts FROM lesson_progress")
    grades = _latest_grades(session)
    lessons = sorted({p["lesson"] for p in progress} | {lesson for _, lesson in grades})
    cells: dict[str, dict[int, dict]] = {
        learner: {lesson: {"status": "not_started", "grade": None, "attempts": 0, "duplicate_of": []}
                  for lesson in lessons}
        for learner in learners}
    for p in progress:
        cells[p["learner_id"]][p["lesson"]].update(status=p["status"], attempts=p["attempts"])
    for (learner, lesson), g in grades.items():
        cells[learner][lesson].update(grade=g["total"], duplicate_of=_learner_list(g["duplicate_of"]))
    return {"lessons": lessons, "rows": [{"learner": learner, "cells": cells[learner]} for learner in learners]}


def frequent_misconceptions(session: Session, lesson: int | None = None, limit: int = 10) -> list[dict]:
    """The ``limit`` most observed misconceptions of each lesson (or of one lesson)."""
    where = "WHERE lesson = :lesson" if lesson is not None else ""
    rows = _rows(session, f"""
        SELECT lesson, misconception_id, COUNT(*) AS count, SUM(CASE WHEN resolved THEN 0 ELSE 1 END) AS open,
               COUNT(DISTINCT learner_id) AS learners
        FROM misconceptions {where}
        GROUP BY lesson, misconception_id
        ORDER BY lesson, count DESC, misconception_id""", lesson=lesson)
    kept: list[dict] = []
    per_lesson: dict[int | None, int] = {}
    for r in rows:
        per_lesson[r["lesson"]] = per_lesson.get(r["lesson"], 0) + 1
        if per_lesson[r["lesson"]] <= limit:
            kept.append(r)
    return kept


def contract_event_counts(session: Session) -> list[dict]:
    """Per learner (every learner, zeros included): refusals, guard rewrites and all events."""
    refusal = ", ".join(f"'{a}'" for a in REFUSAL_ACTIONS)
    return _rows(session, f"""
        SELECT l.id AS learner,
               COALESCE(SUM(CASE WHEN e.action IN ({refusal}) OR e.rule = 'outsourcing_request' THEN 1 ELSE 0 END), 0)
                   AS refusals,
               COALESCE(SUM(CASE WHEN e.action LIKE 'rewrite%' THEN 1 ELSE 0 END), 0) AS rewrites,
               COUNT(e.id) AS total
        FROM learners AS l LEFT JOIN contract_events AS e ON e.learner_id = l.id
        GROUP BY l.id ORDER BY total DESC, l.id""")


def progress_rows(session: Session) -> list[dict]:
    """One row per learner and lesson with a status, its latest grade and counts: the export table."""
    rows = _rows(session, """
        WITH latest AS (SELECT learner_id, lesson, MAX(id) AS id, COUNT(*) AS n
                        FROM submissions GROUP BY learner_id, lesson),
             open_m AS (SELECT learner_id, lesson, COUNT(*) AS n FROM misconceptions
                        WHERE NOT resolved GROUP BY learner_id, lesson),
             events AS (SELECT learner_id, lesson, COUNT(*) AS n FROM contract_events GROUP BY learner_id, lesson)
        SELECT p.learner_id AS learner, p.lesson, p.status, p.attempts,
               p.started_at, p.submitted_at, p.passed_at, p.updated_at,
               s.total AS grade, COALESCE(latest.n, 0) AS submissions,
               COALESCE(open_m.n, 0) AS open_misconceptions, COALESCE(events.n, 0) AS contract_events
        FROM lesson_progress AS p
        LEFT JOIN latest ON latest.learner_id = p.learner_id AND latest.lesson = p.lesson
        LEFT JOIN submissions AS s ON s.id = latest.id
        LEFT JOIN open_m ON open_m.learner_id = p.learner_id AND open_m.lesson = p.lesson
        LEFT JOIN events ON events.learner_id = p.learner_id AND events.lesson = p.lesson
        ORDER BY p.learner_id, p.lesson""")
    for r in rows:
        for key in ("started_at", "submitted_at", "passed_at", "updated_at"):
            r[key] = _iso_text(r[key])
    return rows
