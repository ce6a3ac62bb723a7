"""The hand-written numbered SQLite steps of the tutor before Alembic, kept frozen and used
only to bring an old file (``PRAGMA user_version`` 1) to the layout of the Alembic baseline
(revision 0002 = version 2); see ``tutor.store.schema``. New schema changes are Alembic
revisions in ``alembic/versions/``, never a step here. JSON columns are declared TEXT so
SQLite never coerces a JSON scalar such as ``1`` into a number.
"""

from __future__ import annotations

import sqlite3

# Version 1: the first layout. A submission kept its grade only as total/passed plus the
# whole report JSON.
V1 = [
    """CREATE TABLE learners (
        id TEXT PRIMARY KEY,
        created_at DATETIME NOT NULL,
        last_seen_at DATETIME NOT NULL,
        current_lesson INTEGER
    )""",
    """CREATE TABLE profiles (
        learner_id TEXT PRIMARY KEY REFERENCES learners(id) ON DELETE CASCADE,
        name TEXT NOT NULL DEFAULT '',
        goals TEXT NOT NULL DEFAULT '',
        experience TEXT NOT NULL DEFAULT '',
        learning_style TEXT NOT NULL DEFAULT '',
        python_fluency TEXT NOT NULL DEFAULT '',
        updated_at DATETIME NOT NULL
    )""",
    """CREATE TABLE lesson_progress (
        id INTEGER PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lesson INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'not_started',
        attempts INTEGER NOT NULL DEFAULT 0,
        started_at DATETIME,
        submitted_at DATETIME,
        passed_at DATETIME,
        updated_at DATETIME NOT NULL,
        UNIQUE (learner_id, lesson)
    )""",
    """CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lesson INTEGER,
        created_at DATETIME NOT NULL,
        intent TEXT NOT NULL,
        action TEXT NOT NULL,
        citations TEXT NOT NULL DEFAULT '[]',
        guard TEXT NOT NULL DEFAULT '[]',
        misconceptions TEXT NOT NULL DEFAULT '[]',
        model TEXT NOT NULL DEFAULT 'offline',
        message TEXT,
        reply TEXT,
        text_logged BOOLEAN NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX ix_turns_learner ON turns (learner_id, id)",
    """CREATE TABLE misconceptions (
        id INTEGER PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lesson INTEGER,
        misconception_id TEXT NOT NULL,
        evidence TEXT,
        created_at DATETIME NOT NULL,
        resolved BOOLEAN NOT NULL DEFAULT 0,
        resolved_at DATETIME
    )""",
    """CREATE TABLE contract_events (
        id INTEGER PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lesson INTEGER,
        created_at DATETIME NOT NULL,
        rule TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    )""",
    """CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lesson INTEGER NOT NULL,
        content_hash TEXT,
        path TEXT NOT NULL,
        created_at DATETIME NOT NULL,
        graded_at TEXT,
        status TEXT,
        total REAL,
        pass_score REAL,
        passed BOOLEAN,
        report TEXT NOT NULL
    )""",
    "CREATE INDEX ix_submissions_hash ON submissions (content_hash, lesson, id)",
    """CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lesson INTEGER,
        run_id TEXT NOT NULL,
        created_at DATETIME NOT NULL,
        started_at TEXT,
        reason TEXT,
        exit_code INTEGER,
        duration_s REAL,
        backend TEXT,
        command TEXT NOT NULL DEFAULT '[]',
        record TEXT NOT NULL
    )""",
    """CREATE TABLE summaries (
        id INTEGER PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lesson INTEGER,
        created_at DATETIME NOT NULL,
        where_left_off TEXT NOT NULL,
        next_steps TEXT NOT NULL DEFAULT '[]'
    )""",
]

# Version 2: grades become queryable. Per-criterion scores get rows of their own and the
# judge model and deterministic check results get columns, back-filled from the report JSON
# every version-1 submission already holds; indexes for the instructor queries.
V2 = [
    "ALTER TABLE submissions ADD COLUMN judge_model TEXT",
    "ALTER TABLE submissions ADD COLUMN checks TEXT NOT NULL DEFAULT '[]'",
    """CREATE TABLE criterion_scores (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
        criterion TEXT NOT NULL,
        weight REAL,
        score REAL,
        level INTEGER,
        deterministic_score REAL,
        source TEXT,
        evidence TEXT NOT NULL DEFAULT '[]',
        rationale TEXT
    )""",
    "CREATE INDEX ix_criterion_scores_submission ON criterion_scores (submission_id)",
    """UPDATE submissions SET
        judge_model = CASE WHEN json_valid(report) AND json_extract(report, '$.judge.ran')
                           THEN json_extract(report, '$.judge.model') END,
        checks = CASE WHEN json_valid(report) AND json_type(report, '$.checks') = 'array'
                      THEN json_extract(report, '$.checks') ELSE '[]' END""",
    """INSERT INTO criterion_scores
        (submission_id, criterion, weight, score, level, deterministic_score, source, evidence, rationale)
       SELECT s.id, json_extract(c.value, '$.id'), json_extract(c.value, '$.weight'),
              json_extract(c.value, '$.score'), json_extract(c.value, '$.level'),
              json_extract(c.value, '$.deterministic_score'), json_extract(c.value, '$.source'),
              CASE WHEN json_type(c.value, '$.evidence') = 'array'
                   THEN json_extract(c.value, '$.evidence') ELSE '[]' END,
              json_extract(c.value, '$.rationale')
       FROM submissions AS s, json_each(s.report, '$.criteria') AS c
       WHERE json_valid(s.report) AND json_type(s.report, '$.criteria') = 'array'
         AND json_extract(c.value, '$.id') IS NOT NULL
       ORDER BY s.id, c.key""",
    "CREATE INDEX ix_submissions_learner_lesson ON submissions (learner_id, lesson, id)",
    "CREATE INDEX ix_progress_lesson ON lesson_progress (lesson)",
    "CREATE INDEX ix_misconceptions_learner ON misconceptions (learner_id, resolved, id)",
    "CREATE INDEX ix_misconceptions_lesson ON misconceptions (lesson, misconception_id)",
    "CREATE INDEX ix_contract_events_learner ON contract_events (learner_id, id)",
    "CREATE INDEX ix_runs_learner ON runs (learner_id, id)",
    "CREATE INDEX ix_summaries_learner ON summaries (learner_id, id)",
]

STEPS: dict[int, list[str]] = {1: V1, 2: V2}
CURRENT_VERSION = max(STEPS)
# Version 3 (the check_attempts table) was the last numbered step; it is Alembic revision 0003
# now. A file at user_version 3 already has that table: tutor.store.schema stamps it there.
LAST_NUMBERED = 3


class SchemaTooNew(Exception):
    """The file was written by a newer tutor; an older one must not guess at its layout."""


def version_of(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def upgrade(conn: sqlite3.Connection, target: int = CURRENT_VERSION) -> tuple[int, int]:
    """Apply the missing steps up to ``target``; returns (version found, version now).

    ``conn`` must be in autocommit mode (``isolation_level=None``): this function owns the
    transaction so that every step and its version bump commit together or not at all.
    """
    if target not in STEPS:
        raise ValueError(f"no schema version {target}; known versions are 1..{CURRENT_VERSION}")
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = version_of(conn)
        if found > CURRENT_VERSION:
            raise SchemaTooNew(f"schema version {found} is newer than this tutor knows ({CURRENT_VERSION})")
        for version in range(found + 1, target + 1):
            for statement in STEPS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return found, max(found, target)
