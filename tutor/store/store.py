"""ProgressStore: the learner progress API over SQLite or PostgreSQL. Every method opens its own short
transaction and returns plain dicts; one instance may be shared between threads.

Writes take the write lock up front (``BEGIN IMMEDIATE``) and wait for it up to the busy
timeout, so many processes can write at once; a transaction killed before COMMIT leaves
nothing behind (SQLite's WAL simply ignores it).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlmodel import Session, col, select

from tutor.store import check_history, keeping, origin, queries, records
from tutor.store.engine import writer
from tutor.store.statements import TOUCH, apply_status
from tutor.store.models import (PROFILE_KEYS, ContractEventRow, CriterionScoreRow, LearnerRow,
                                LessonProgressRow, MisconceptionRow, ProfileRow, RunRow, SubmissionRow,
                                SummaryRow, TurnRow, iso, utcnow)


class StoreError(Exception):
    """The progress DB cannot be opened or used; the message says where and what to do."""


class NotSaved(StoreError):
    """A record did not reach the database (it went away); ``kept``: it waits in the learner's
    on-disk queue and is sent on the next write that reaches it (tutor.store.keeping)."""

    def __init__(self, message: str, *, kept: bool):
        super().__init__(message)
        self.kept = kept


def _learner(learner_id: str) -> str:
    if not isinstance(learner_id, str) or not learner_id.strip():
        raise ValueError(f"learner id must be a non-empty string, got {learner_id!r}")
    learner_id = learner_id.strip()
    if len(learner_id) > 200:
        raise ValueError("learner id is longer than 200 characters")
    return learner_id


def _lesson(lesson: int | None, *, required: bool = False) -> int | None:
    if lesson is None and not required:
        return None
    if isinstance(lesson, bool) or not isinstance(lesson, int) or lesson < 0:
        raise ValueError(f"lesson must be a non-negative integer, got {lesson!r}")
    return lesson


class ProgressStore:
    def __init__(self, engine, path: Path | str, *, text_logging: bool = True, pending_dir: Path | None = None):
        self.engine = engine
        self.pending_dir = pending_dir  # where records wait while the database is away (None: nowhere)
        self.notices: list[str] = []  # what sending waiting records found, for the learner (keeping.py)
        # set while the rest of a turn's records go straight to the queue: the database was just
        # found away, and trying each again could cost a connect timeout apiece
        self.queue_only = False
        self._writer = writer(engine)
        self.dialect = engine.dialect.name
        self.path = path  # the SQLite file, or the server URL with its password masked (for messages)
        self.text_logging = text_logging  # settings.log_text AND the contract's log_conversation_text

    # -- plumbing ----------------------------------------------------------------------------
    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self._writer, expire_on_commit=False) as session:
            yield session
            session.commit()

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with Session(self.engine) as session:
            yield session

    @property
    def schema_version(self) -> str | None:
        """The Alembic revision the database is at."""
        from tutor.store.schema import current

        return current(self.engine)

    def integrity_check(self) -> str:
        if self.dialect != "sqlite":
            return "ok"  # the server keeps its own pages consistent
        with self.engine.connect() as conn:
            return "; ".join(r[0] for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall())

    def close(self) -> None:
        self.engine.dispose()

    def pending_queue(self, learner_id: str):
        from tutor.store.pending import PendingQueue

        # one queue per learner and database: what was kept for the cohort DB goes to no other
        return PendingQueue(self.pending_dir, learner_id, str(self.path)) if self.pending_dir is not None else None

    def write_entry(self, entry: dict, *, fresh: bool = False) -> tuple[str, int, list[str]]:
        """One write as kept in the queue (tutor.store.keeping.write_entry)."""
        return keeping.write_entry(self, entry, fresh=fresh)

    def _keep(self, row, *, lesson: int | None = None, start: int | None = None) -> int:
        """Write a new row once, or keep it on disk when the database is away (raises NotSaved)."""
        row.origin = row.origin or origin.new_origin()
        values = origin.to_json(row.model_dump(exclude={"id"}))
        entry = {"table": row.__tablename__, "learner": row.learner_id, "lesson": lesson, "start": start,
                 "values": values}
        return keeping.keep(self, entry)[1]

    def _touch(self, session: Session, learner_id: str, lesson: int | None = None, now=None) -> None:
        session.connection().execute(TOUCH[self.dialect], {"id": learner_id, "now": now or utcnow(), "lesson": lesson})

    def _progress(self, session: Session, learner_id: str, lesson: int) -> LessonProgressRow:
        row = session.exec(select(LessonProgressRow).where(LessonProgressRow.learner_id == learner_id,
                                                           LessonProgressRow.lesson == lesson)).first()
        if row is None:
            row = LessonProgressRow(learner_id=learner_id, lesson=lesson, updated_at=utcnow())
            session.add(row)
        return row

    # -- learners and onboarding ---------------------------------------------------------------
    def bound_learner(self) -> str | None:
        """On a cohort database, the learner the connecting role is (None: not a learner role,
        e.g. the instructor or the owner; always None on SQLite)."""
        if self.dialect != "postgresql":
            return None
        if not hasattr(self, "_bound"):
            from tutor.store.cohort import bound_learner

            with self.engine.connect() as conn:
                self._bound = bound_learner(conn)
        return self._bound

    def ensure_learner(self, learner_id: str) -> None:
        learner_id = _learner(learner_id)
        bound = self.bound_learner()
        if bound is not None and bound != learner_id:
            raise StoreError(f"this database role belongs to learner {bound!r} and cannot act as {learner_id!r}; "
                             f"drop --learner (or use --learner {bound}), or connect with that learner's own role")
        with self._write() as s:
            self._touch(s, learner_id)
        keeping.send_waiting_quietly(self, learner_id)

    def has_learner(self, learner_id: str) -> bool:
        with self._read() as s:
            return s.get(LearnerRow, learner_id) is not None

    def learners(self) -> list[str]:
        with self._read() as s:
            return list(s.exec(select(LearnerRow.id).order_by(LearnerRow.id)).all())

    def get_profile(self, learner_id: str) -> dict | None:
        with self._read() as s:
            row = s.get(ProfileRow, learner_id)
            if row is None:
                return None
            return {**{k: getattr(row, k) for k in PROFILE_KEYS}, "updated_at": iso(row.updated_at)}

    def save_profile(self, learner_id: str, **profile) -> None:
        learner_id = _learner(learner_id)
        unknown = sorted(set(profile) - set(PROFILE_KEYS))
        if unknown:
            raise ValueError(f"unknown profile field(s) {', '.join(unknown)}; known: {', '.join(PROFILE_KEYS)}")
        values = {k: _text(v) for k, v in profile.items() if v is not None}
        with self._write() as s:
            self._touch(s, learner_id)
            row = s.get(ProfileRow, learner_id) or ProfileRow(learner_id=learner_id, updated_at=utcnow())
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            s.add(row)

    # -- lessons ----------------------------------------------------------------------------
    def set_lesson_status(self, learner_id: str, lesson: int, status: str) -> None:
        learner_id, lesson = _learner(learner_id), _lesson(lesson, required=True)
        with self._write() as s:
            self._touch(s, learner_id, lesson)
            apply_status(self._progress(s, learner_id, lesson), status, utcnow())

    def lesson_statuses(self, learner_id: str) -> dict[int, str]:
        with self._read() as s:
            rows = s.exec(select(LessonProgressRow).where(LessonProgressRow.learner_id == learner_id)
                          .order_by(LessonProgressRow.lesson)).all()
            return {r.lesson: r.status for r in rows}

    def lesson_progress(self, learner_id: str) -> list[dict]:
        with self._read() as s:
            rows = s.exec(select(LessonProgressRow).where(LessonProgressRow.learner_id == learner_id)
                          .order_by(LessonProgressRow.lesson)).all()
            return [{"lesson": r.lesson, "status": r.status, "attempts": r.attempts,
                     "started_at": iso(r.started_at), "submitted_at": iso(r.submitted_at),
                     "passed_at": iso(r.passed_at), "updated_at": iso(r.updated_at)} for r in rows]

    def current_lesson(self, learner_id: str) -> int | None:
        with self._read() as s:
            row = s.get(LearnerRow, learner_id)
            return row.current_lesson if row else None

    # -- conversation turns -------------------------------------------------------------------
    def record_turn(self, learner_id: str, lesson: int | None, *, message: str, reply: str, intent: str,
                    action: str, citations=(), guard=(), misconceptions=(), model: str = "offline",
                    log_text: bool = True) -> int:
        """One learner message and the tutor's reply. The text is kept only when both this call
        and the store's policy allow it; the metadata always is. A turn in a lesson not yet
        started marks it in progress. Guard events and misconception ids are kept on the turn
        only: record_contract_event / record_misconception make the rows instructors count."""
        learner_id, lesson = _learner(learner_id), _lesson(lesson)
        keep = bool(log_text) and self.text_logging
        now = utcnow()
        row = TurnRow(learner_id=learner_id, lesson=lesson, created_at=now, intent=str(intent), action=str(action),
                      citations=records.plain_json(list(citations)), guard=records.plain_json(list(guard)),
                      misconceptions=records.plain_json(list(misconceptions)), model=str(model),
                      message=_text(message) if keep else None, reply=_text(reply) if keep else None,
                      text_logged=keep)
        # a Core insert (origin.put_once), not session.add: a turn is the hot path
        return self._keep(row, lesson=lesson, start=lesson)

    def recent_turns(self, learner_id: str, lesson: int | None = None, limit: int = 20) -> list[dict]:
        """The last ``limit`` turns, oldest first (ready to replay as conversation history)."""
        query = select(TurnRow).where(TurnRow.learner_id == learner_id)
        if lesson is not None:
            query = query.where(TurnRow.lesson == lesson)
        with self._read() as s:
            rows = s.exec(query.order_by(col(TurnRow.id).desc()).limit(max(0, int(limit)))).all()
            return [records.turn(r) for r in reversed(rows)]

    # -- misconceptions -------------------------------------------------------------------
    def record_misconception(self, learner_id: str, lesson: int | None, misconception_id: str, evidence: str) -> int:
        learner_id, lesson = _learner(learner_id), _lesson(lesson)
        kept = _text(evidence)[:records.EVIDENCE_CHARS] if self.text_logging and evidence else None
        # the learner is touched without the lesson: a catch-up on a prerequisite is not where they are
        return self._keep(MisconceptionRow(learner_id=learner_id, lesson=lesson, misconception_id=str(misconception_id),
                                           evidence=kept, created_at=utcnow()))

    def resolve_misconception(self, learner_id: str, misconception_id: str) -> None:
        keeping.keep(self, {"table": "resolve", "learner": _learner(learner_id),
                            "values": {"misconception_id": str(misconception_id)}})

    def open_misconceptions(self, learner_id: str, lesson: int | None = None) -> list[dict]:
        query = select(MisconceptionRow).where(MisconceptionRow.learner_id == learner_id,
                                               col(MisconceptionRow.resolved).is_(False))
        if lesson is not None:
            query = query.where(MisconceptionRow.lesson == lesson)
        with self._read() as s:
            return [records.misconception(r) for r in s.exec(query.order_by(col(MisconceptionRow.id).desc())).all()]

    # -- contract events --------------------------------------------------------------------
    def record_contract_event(self, learner_id: str, lesson: int | None, rule: str, action: str, detail: str = "") -> int:
        learner_id, lesson = _learner(learner_id), _lesson(lesson)
        # touched without the lesson: asking for lesson 9's answers does not move a learner to lesson 9
        return self._keep(ContractEventRow(learner_id=learner_id, lesson=lesson, created_at=utcnow(), rule=str(rule),
                                           action=str(action), detail=_text(detail)[:records.DETAIL_CHARS]))

    def contract_events(self, learner_id: str | None = None) -> list[dict]:
        query = select(ContractEventRow)
        if learner_id is not None:
            query = query.where(ContractEventRow.learner_id == learner_id)
        with self._read() as s:
            return [records.contract_event(r) for r in s.exec(query.order_by(ContractEventRow.id)).all()]

    # -- submissions and grades ----------------------------------------------------------------
    def record_submission(self, name: str, lesson: int, content_hash: str | None, path, report: dict) -> None:
        """A grading report for folder ``name`` (the learner id in a cohort directory). Keeps the
        whole report, one row per criterion, and moves the lesson to submitted, or passed."""
        learner_id, lesson = _learner(name), _lesson(lesson, required=True)
        report = records.plain_json(report or {})
        judge = report.get("judge") or {}
        total, pass_score, passed = report.get("total"), report.get("pass_score"), report.get("passed")
        if passed is None and total is not None and pass_score is not None:
            passed = total >= pass_score
        now = utcnow()
        with self._write() as s:
            self._touch(s, learner_id)  # grading (often a batch by the instructor) is not the learner's place
            if content_hash is not None:
                # A regrade of the same content (--force, a resume) replaces that grade instead of
                # piling up full reports: history is one row per distinct submitted content.
                for old in s.exec(select(SubmissionRow).where(SubmissionRow.learner_id == learner_id,
                                                              SubmissionRow.lesson == lesson,
                                                              SubmissionRow.content_hash == content_hash)).all():
                    for c in s.exec(select(CriterionScoreRow).where(CriterionScoreRow.submission_id == old.id)).all():
                        s.delete(c)
                    s.delete(old)
                s.flush()
            row = SubmissionRow(learner_id=learner_id, lesson=lesson, content_hash=content_hash, path=str(path),
                                created_at=now, graded_at=report.get("graded_at"), status=report.get("status"),
                                total=total, pass_score=pass_score, passed=passed,
                                judge_model=judge.get("model") if judge.get("ran") else None,
                                checks=[c for c in report.get("checks") or [] if isinstance(c, dict)], report=report)
            s.add(row)
            s.flush()
            for c in report.get("criteria") or []:
                if isinstance(c, dict) and c.get("id"):
                    s.add(CriterionScoreRow(submission_id=row.id, criterion=c["id"], weight=c.get("weight"),
                                            score=c.get("score"), level=c.get("level"),
                                            deterministic_score=c.get("deterministic_score"),
                                            source=c.get("source"), evidence=list(c.get("evidence") or []),
                                            rationale=c.get("rationale")))
            progress = self._progress(s, learner_id, lesson)
            apply_status(progress, "submitted", now)
            if passed:
                apply_status(progress, "passed", now)

    def find_submission(self, content_hash: str, lesson: int, learner_id: str | None = None) -> dict | None:
        """The latest grade of this content for this lesson; with learner_id, that learner's only
        (the grader reuses a grade per learner: a copy of another's work is graded, not skipped)."""
        query = select(SubmissionRow).where(SubmissionRow.content_hash == content_hash, SubmissionRow.lesson == lesson)
        if learner_id is not None:
            query = query.where(SubmissionRow.learner_id == _learner(learner_id))
        with self._read() as s:
            row = s.exec(query.order_by(col(SubmissionRow.id).desc()).limit(1)).first()
            return queries.submission_dicts(s, [row], with_report=True)[0] if row else None

    def learners_with(self, content_hash: str, lesson: int) -> list[str]:
        """Learners who submitted exactly this content for this lesson (duplicate detection)."""
        with self._read() as s:
            rows = s.exec(select(SubmissionRow.learner_id).where(SubmissionRow.content_hash == content_hash,
                                                                 SubmissionRow.lesson == _lesson(lesson, required=True))).all()
        return sorted(set(rows))

    def submissions(self, learner_id: str | None = None, lesson: int | None = None) -> list[dict]:
        """Oldest first, with per-criterion scores and check counts (the whole report: find_submission)."""
        query = select(SubmissionRow)
        if learner_id is not None:
            query = query.where(SubmissionRow.learner_id == learner_id)
        if lesson is not None:
            query = query.where(SubmissionRow.lesson == lesson)
        with self._read() as s:
            return queries.submission_dicts(s, s.exec(query.order_by(SubmissionRow.id)).all(), with_report=False)

    # -- sandbox runs -------------------------------------------------------------------------
    def record_run(self, learner_id: str, lesson: int | None, record: dict) -> None:
        learner_id, lesson = _learner(learner_id), _lesson(lesson)
        record = records.plain_json(record or {})
        with self._write() as s:
            self._touch(s, learner_id, lesson)
            s.add(RunRow(learner_id=learner_id, lesson=lesson, run_id=str(record.get("run_id") or ""),
                         created_at=utcnow(), started_at=record.get("started_at"), reason=record.get("reason"),
                         exit_code=record.get("exit_code"), duration_s=record.get("duration_s"),
                         backend=record.get("backend"), command=list(record.get("command") or []), record=record))

    def runs(self, learner_id: str | None = None, lesson: int | None = None, limit: int = 50) -> list[dict]:
        """The latest ``limit`` runs, newest first."""
        query = select(RunRow)
        if learner_id is not None:
            query = query.where(RunRow.learner_id == learner_id)
        if lesson is not None:
            query = query.where(RunRow.lesson == lesson)
        with self._read() as s:
            return [records.run(r) for r in s.exec(query.order_by(col(RunRow.id).desc()).limit(max(0, int(limit)))).all()]

    # -- check attempts (`tutor check`) -------------------------------------------------------
    def record_check_attempts(self, learner_id: str, lesson: int, results: list[dict], source: str = "lab") -> int:
        """Store one attempt per tried TODO of a check run (``results``: dicts with todo, status,
        check_id); returns how many rows were written."""
        learner_id, lesson = _learner(learner_id), _lesson(lesson, required=True)
        rows = check_history.rows_for(learner_id, lesson, list(results or []), source, utcnow())
        if not rows:  # nothing tried: the learner is still seen at this lesson
            with self._write() as s:
                self._touch(s, learner_id, lesson)
        not_saved = None
        for row in rows:  # each kept on its own when the database is away (raises the worst at the end)
            try:
                self._keep(row, lesson=lesson)
            except NotSaved as error:
                not_saved = error if not_saved is None or not error.kept else not_saved
        if not_saved is not None:
            raise not_saved
        return len(rows)

    def check_attempts(self, learner_id: str, lesson: int | None = None) -> list[dict]:
        with self._read() as s:
            return [check_history.attempt(r) for r in check_history.attempts(s, learner_id, lesson)]

    def check_progress(self, learner_id: str, lesson: int | None = None) -> list[dict]:
        """Per TODO: tries, tries until it passed, the check that held the learner longest."""
        with self._read() as s:
            return check_history.progress(check_history.attempts(s, learner_id, lesson))

    # -- session summaries --------------------------------------------------------------------
    def save_summary(self, learner_id: str, lesson: int | None, where_left_off: str, next_steps: list[str]) -> None:
        learner_id, lesson = _learner(learner_id), _lesson(lesson)
        self._keep(SummaryRow(learner_id=learner_id, lesson=lesson, created_at=utcnow(),
                              where_left_off=_text(where_left_off), next_steps=[_text(x) for x in next_steps or []]),
                   lesson=lesson)

    def latest_summary(self, learner_id: str) -> dict | None:
        with self._read() as s:
            row = s.exec(select(SummaryRow).where(SummaryRow.learner_id == learner_id)
                         .order_by(col(SummaryRow.id).desc()).limit(1)).first()
            return records.summary(row) if row else None

    # -- instructor queries ---------------------------------------------------------------------
    def timeline(self, learner_id: str) -> list[dict]:
        with self._read() as s:
            return queries.timeline(s, learner_id)

    def cohort_matrix(self) -> dict:
        with self._read() as s:
            return queries.cohort_matrix(s)

    def frequent_misconceptions(self, lesson: int | None = None, limit: int = 10) -> list[dict]:
        with self._read() as s:
            return queries.frequent_misconceptions(s, lesson, limit)

    def contract_event_counts(self) -> list[dict]:
        with self._read() as s:
            return queries.contract_event_counts(s)

    def progress_rows(self) -> list[dict]:
        with self._read() as s:
            return queries.progress_rows(s)


def _text(value) -> str:
    """Text as stored (turns, summaries, evidence, event details, profile): a URL's credentials,
    typed or quoted in the conversation, are hidden before it reaches the database or the queue."""
    from tutor.redact import redact_urls_in

    return "" if value is None else redact_urls_in(str(value))
