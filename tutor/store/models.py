"""The progress tables as SQLModel classes (``*Row``), matching the schema that the
Alembic head revision builds (``alembic/versions/``).

Times are aware UTC datetimes (SQLite stores them without the offset). List and dict columns are JSON. Rows never leave the store:
callers get plain dicts (see ``store.py``), so no one meets a detached ORM object.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

STATUSES = ("not_started", "in_progress", "submitted", "passed")
PROFILE_KEYS = ("name", "goals", "experience", "learning_style", "python_fluency")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    """A stored time as ISO 8601 UTC with its offset. SQLite keeps no offset: naive means UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc).isoformat()
    return moment.astimezone(timezone.utc).isoformat()


def _learner_fk() -> Any:
    return Field(foreign_key="learners.id", ondelete="CASCADE")


class LearnerRow(SQLModel, table=True):
    __tablename__ = "learners"
    id: str = Field(primary_key=True)
    created_at: datetime
    last_seen_at: datetime
    current_lesson: Optional[int] = None


class ProfileRow(SQLModel, table=True):
    __tablename__ = "profiles"
    learner_id: str = Field(primary_key=True, foreign_key="learners.id", ondelete="CASCADE")
    name: str = ""
    goals: str = ""
    experience: str = ""
    learning_style: str = ""
    python_fluency: str = ""
    updated_at: datetime


class LessonProgressRow(SQLModel, table=True):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("learner_id", "lesson"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    learner_id: str = _learner_fk()
    lesson: int
    status: str = "not_started"
    attempts: int = 0
    started_at: Optional[datetime] = None
    submitted_at: Optional[datetime] = None
    passed_at: Optional[datetime] = None
    updated_at: datetime


class TurnRow(SQLModel, table=True):
    __tablename__ = "turns"
    id: Optional[int] = Field(default=None, primary_key=True)
    learner_id: str = _learner_fk()
    origin: Optional[str] = None     # where the row was first written (revision 0005)
    lesson: Optional[int] = None
    created_at: datetime
    intent: str
    action: str
    citations: list = Field(default_factory=list, sa_type=JSON)
    guard: list = Field(default_factory=list, sa_type=JSON)
    misconceptions: list = Field(default_factory=list, sa_type=JSON)
    model: str = "offline"
    message: Optional[str] = None      # NULL when text logging is off
    reply: Optional[str] = None
    text_logged: bool = False


class MisconceptionRow(SQLModel, table=True):
    __tablename__ = "misconceptions"
    id: Optional[int] = Field(default=None, primary_key=True)
    learner_id: str = _learner_fk()
    origin: Optional[str] = None     # where the row was first written (revision 0005)
    lesson: Optional[int] = None
    misconception_id: str
    evidence: Optional[str] = None     # an excerpt of the learner's words; NULL when text logging is off
    created_at: datetime
    resolved: bool = False
    resolved_at: Optional[datetime] = None


class ContractEventRow(SQLModel, table=True):
    __tablename__ = "contract_events"
    id: Optional[int] = Field(default=None, primary_key=True)
    learner_id: str = _learner_fk()
    origin: Optional[str] = None     # where the row was first written (revision 0005)
    lesson: Optional[int] = None
    created_at: datetime
    rule: str
    action: str
    detail: str = ""


class SubmissionRow(SQLModel, table=True):
    __tablename__ = "submissions"
    id: Optional[int] = Field(default=None, primary_key=True)
    learner_id: str = _learner_fk()
    origin: Optional[str] = None     # where the row was first written (revision 0005)
    lesson: int
    content_hash: Optional[str] = None
    path: str
    created_at: datetime
    graded_at: Optional[str] = None    # as the report says it
    status: Optional[str] = None       # the report's status: partial | complete
    total: Optional[float] = None
    pass_score: Optional[float] = None
    passed: Optional[bool] = None
    report: dict = Field(default_factory=dict, sa_type=JSON)
    judge_model: Optional[str] = None  # None when no judge ran
    checks: list = Field(default_factory=list, sa_type=JSON)


class CriterionScoreRow(SQLModel, table=True):
    __tablename__ = "criterion_scores"
    id: Optional[int] = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submissions.id", ondelete="CASCADE")
    criterion: str
    weight: Optional[float] = None
    score: Optional[float] = None
    level: Optional[int] = None
    deterministic_score: Optional[float] = None
    source: Optional[str] = None
    evidence: list = Field(default_factory=list, sa_type=JSON)
    rationale: Optional[str] = None


class RunRow(SQLModel, table=True):
    __tablename__ = "runs"
    id: Optional[int] = Field(default=None, primary_key=True)
    learner_id: str = _learner_fk()
    origin: Optional[str] = None     # where the row was first written (revision 0005)
    lesson: Optional[int] = None
    run_id: str
    created_at: datetime
    started_at: Optional[str] = None
    reason: Optional[str] = None
    exit_code: Optional[int] = None
    duration_s: Optional[float] = None
    backend: Optional[str] = None
    command: list = Field(default_factory=list, sa_type=JSON)
    record: dict = Field(default_factory=dict, sa_type=JSON)


class SummaryRow(SQLModel, table=True):
    __tablename__ = "summaries"
    id: Optional[int] = Field(default=None, primary_key=True)
    learner_id: str = _learner_fk()
    origin: Optional[str] = None     # where the row was first written (revision 0005)
    lesson: Optional[int] = None
    created_at: datetime
    where_left_off: str
    next_steps: list = Field(default_factory=list, sa_type=JSON)


class CheckAttemptRow(SQLModel, table=True):
    __tablename__ = "check_attempts"
    id: Optional[int] = Field(default=None, primary_key=True)
    learner_id: str = _learner_fk()
    origin: Optional[str] = None     # where the row was first written (revision 0005)
    lesson: int
    todo: str
    status: str                        # passed | failed | error | timed_out | not_started
    check_id: Optional[str] = None     # the first failing check, when one failed
    source: str = "lab"                # lab (a lab folder) | paste (a function pasted in chat)
    created_at: datetime
