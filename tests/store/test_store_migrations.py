"""Schema versions: a database written at version 1 upgrades to the current one without
losing a row; the SQLModel tables describe exactly what the migrations build."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import SQLModel

from tests.store.store_support import make_settings, sample_report
from tutor.store import StoreError, migrations, open_store, schema
from tutor.store.engine import create_store_engine
from tutor.store import models  # noqa: F401  (registers the tables on SQLModel.metadata)

V1_TABLES = ["learners", "profiles", "lesson_progress", "turns", "misconceptions", "contract_events",
             "submissions", "runs", "summaries"]
T = "2025-03-01 10:00:0{}.000000"  # how SQLAlchemy writes a DATETIME into SQLite


def _connect(path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _populate_v1(path) -> None:
    """What a version-1 tutor would have written: every table, two learners."""
    conn = _connect(path)
    migrations.upgrade(conn, target=1)
    assert migrations.version_of(conn) == 1
    report = sample_report(name="alice", lesson=3, judge_model="vllm:nemotron")
    rows = [
        ("INSERT INTO learners VALUES (?, ?, ?, ?)", ("alice", T.format(0), T.format(5), 3)),
        ("INSERT INTO learners VALUES (?, ?, ?, ?)", ("bob", T.format(0), T.format(1), None)),
        ("INSERT INTO profiles VALUES (?, ?, ?, ?, ?, ?, ?)",
         ("alice", "Alice", "serve a model", "some PyTorch", "hands-on", "fluent", T.format(0))),
        ("INSERT INTO lesson_progress (learner_id, lesson, status, attempts, started_at, submitted_at, passed_at,"
         " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
         ("alice", 3, "passed", 1, T.format(1), T.format(4), T.format(4), T.format(4))),
        ("INSERT INTO turns (learner_id, lesson, created_at, intent, action, citations, guard, misconceptions,"
         " model, message, reply, text_logged) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         ("alice", 3, T.format(2), "concept", "explain", json.dumps([{"lesson": 3, "anchor": "kv"}]), "[]",
          '["kv_quadratic"]', "offline", "why is the cache big?", "because...", 1)),
        ("INSERT INTO misconceptions (learner_id, lesson, misconception_id, evidence, created_at, resolved)"
         " VALUES (?, ?, ?, ?, ?, ?)", ("alice", 3, "kv_quadratic", "it grows with n^2", T.format(2), 0)),
        ("INSERT INTO contract_events (learner_id, lesson, created_at, rule, action, detail)"
         " VALUES (?, ?, ?, ?, ?, ?)", ("bob", 1, T.format(1), "outsourcing_request", "coach", "")),
        ("INSERT INTO submissions (learner_id, lesson, content_hash, path, created_at, graded_at, status, total,"
         " pass_score, passed, report) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         ("alice", 3, "h-1", "/subs/alice", T.format(4), report["graded_at"], "complete", 0.72, 0.6, 1,
          json.dumps(report))),
        ("INSERT INTO runs (learner_id, lesson, run_id, created_at, started_at, reason, exit_code, duration_s,"
         " backend, command, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
         ("alice", 3, "r-1", T.format(3), "2025-03-01T10:00:03+00:00", "ok", 0, 1.5, "process",
          '["python", "starter.py"]', json.dumps({"run_id": "r-1", "reason": "ok"}))),
        ("INSERT INTO summaries (learner_id, lesson, created_at, where_left_off, next_steps) VALUES (?, ?, ?, ?, ?)",
         ("alice", 3, T.format(5), "measured the KV cache", '["try GQA"]')),
    ]
    conn.execute("BEGIN")
    for sql, params in rows:
        conn.execute(sql, params)
    conn.execute("COMMIT")
    conn.close()


def _counts(path) -> dict[str, int]:
    conn = _connect(path)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in V1_TABLES}
    finally:
        conn.close()


def test_version_1_database_upgrades_to_current_keeping_every_row(tutor_home):
    db = tutor_home / "progress.db"
    _populate_v1(db)
    before = _counts(db)

    store = open_store(make_settings(tutor_home))

    assert store.schema_version == schema.head()
    assert _counts(db) == before
    assert store.integrity_check() == "ok"
    assert store.learners() == ["alice", "bob"]
    assert store.get_profile("alice")["goals"] == "serve a model"
    assert store.lesson_statuses("alice") == {3: "passed"} and store.current_lesson("alice") == 3
    assert store.recent_turns("alice")[0]["citations"] == [{"lesson": 3, "anchor": "kv"}]
    assert store.open_misconceptions("alice")[0]["evidence"] == "it grows with n^2"
    assert store.contract_events("bob")[0]["rule"] == "outsourcing_request"
    assert store.runs("alice")[0]["command"] == ["python", "starter.py"]
    assert store.latest_summary("alice")["next_steps"] == ["try GQA"]
    assert store.timeline("alice")[0]["time"] == "2025-03-01T10:00:02+00:00"


def test_upgrade_back_fills_grades_from_the_version_1_report_json(tutor_home):
    _populate_v1(tutor_home / "progress.db")
    store = open_store(make_settings(tutor_home))

    [sub] = store.submissions("alice")
    assert sub["judge_model"] == "vllm:nemotron"
    assert sub["checks"] == {"passed": 1, "failed": 1, "error": 0, "skipped": 0}
    by_id = {c["criterion"]: c for c in sub["criteria"]}
    assert by_id["reflection"]["score"] == 0.75 and by_id["reflection"]["level"] == 3
    assert by_id["reflection"]["evidence"] == ["tokens/s went from 41 to 77"]
    assert by_id["implementation"]["source"] == "deterministic"
    assert store.find_submission("h-1", 3)["report"]["submission"]["name"] == "alice"
    assert store.cohort_matrix()["rows"][0]["cells"][3] == {"status": "passed", "grade": 0.72, "attempts": 1, "duplicate_of": []}


def test_models_describe_exactly_the_migrated_schema(tutor_home):
    open_store(make_settings(tutor_home))
    conn = _connect(tutor_home / "progress.db")
    in_db = {name: {row[1] for row in conn.execute(f"PRAGMA table_info({name})")}
             for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    store_tables = set(V1_TABLES) | {"criterion_scores", "check_attempts"}
    assert set(in_db) == store_tables | {"alembic_version"}
    in_models = {name: {c.name for c in SQLModel.metadata.tables[name].columns} for name in store_tables}
    assert in_models == {name: cols for name, cols in in_db.items() if name != "alembic_version"}


def test_a_failing_migration_leaves_the_database_as_it_was(tutor_home, monkeypatch):
    """The whole upgrade runs in one transaction (SQLite DDL is transactional)."""
    db = tutor_home / "progress.db"
    shutil.copyfile(FIXTURE, db)

    def broken(cfg, target):
        conn = cfg.attributes["connection"]
        conn.exec_driver_sql("CREATE TABLE half_done (x INTEGER)")
        conn.exec_driver_sql("ALTER TABLE no_such_table ADD COLUMN y TEXT")

    from alembic import command

    monkeypatch.setattr(command, "upgrade", broken)
    with pytest.raises(StoreError):
        open_store(make_settings(tutor_home))
    conn = _connect(db)
    assert migrations.version_of(conn) == 2
    names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "half_done" not in names and "alembic_version" not in names
    assert conn.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 3


def test_upgrading_twice_changes_nothing(tutor_home):
    _populate_v1(tutor_home / "progress.db")
    open_store(make_settings(tutor_home))
    before = _counts(tutor_home / "progress.db")
    from tutor.store import open as opening

    opening._ENGINES.clear()
    store = open_store(make_settings(tutor_home))
    engine = store.engine
    assert schema.migrate(engine) == (schema.head(), schema.head())
    assert _counts(tutor_home / "progress.db") == before
    conn = _connect(tutor_home / "progress.db")
    assert conn.execute("SELECT COUNT(*) FROM criterion_scores").fetchone()[0] == 2


def test_a_database_from_a_newer_tutor_is_refused_with_advice(tutor_home):
    conn = _connect(tutor_home / "progress.db")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match=r"schema version 99 is newer.*upgrade the tutor"):
        open_store(make_settings(tutor_home))


def test_a_file_that_is_not_a_database_is_refused_with_advice(tutor_home):
    (tutor_home / "progress.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"progress.db cannot be used as the progress DB.*move it aside"):
        open_store(make_settings(tutor_home))


FIXTURE = Path(__file__).parent / "fixtures" / "progress_v2.db"


def _rows(conn, columns: dict[str, list[str]]) -> dict[str, list]:
    """Every row of each table, in the columns given (a later revision adds NULL columns)."""
    return {t: conn.execute(f"SELECT {', '.join(cols)} FROM {t} ORDER BY 1").fetchall() for t, cols in columns.items()}


def test_a_db_made_by_the_released_schema_upgrades_in_place_with_every_row(tutor_home):
    """progress_v2.db was written by the tutor before Alembic (see fixtures/make_progress_v2.py)."""
    db = tutor_home / "progress.db"
    shutil.copyfile(FIXTURE, db)
    tables = V1_TABLES + ["criterion_scores"]
    conn = _connect(db)
    columns = {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    before = _rows(conn, columns)
    conn.close()
    assert all(before[t] for t in tables), "the fixture holds a row of every kind"

    store = open_store(make_settings(tutor_home))

    assert store.schema_version == schema.head()
    conn = _connect(db)
    assert _rows(conn, columns) == before  # every row and column the old file had (later revisions add NULL columns)
    assert conn.execute("SELECT COUNT(*) FROM turns WHERE origin IS NOT NULL").fetchone()[0] == 0
    assert store.recent_turns("bob")[-1]["message"] is None  # the turn kept without its text stays so
    assert [s["total"] for s in store.submissions()] == [0.72, 0.4]
    store.record_turn("bob", 1, message="after the upgrade", reply="ok", intent="concept", action="explain")
    assert store.recent_turns("bob")[-1]["message"] == "after the upgrade"


def test_a_database_at_an_unknown_newer_revision_is_refused_and_left_alone(tutor_home):
    open_store(make_settings(tutor_home))
    conn = _connect(tutor_home / "progress.db")
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    from tutor.store import open as opening

    opening._ENGINES.clear()
    with pytest.raises(StoreError, match=r"revision 9999_from_the_future is newer.*upgrade the tutor"):
        open_store(make_settings(tutor_home))
    conn = _connect(tutor_home / "progress.db")
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "9999_from_the_future"


# What the last numbered step (user_version 3, issue 12's attempt history) added, exactly as the
# tutor before Alembic ran it: a file at that version already has the table and is stamped 0003.
LEGACY_V3 = [
    """CREATE TABLE check_attempts (
        id INTEGER PRIMARY KEY,
        learner_id TEXT NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
        lesson INTEGER NOT NULL,
        todo TEXT NOT NULL,
        status TEXT NOT NULL,
        check_id TEXT,
        source TEXT NOT NULL DEFAULT 'lab',
        created_at DATETIME NOT NULL
    )""",
    "CREATE INDEX ix_check_attempts_learner ON check_attempts (learner_id, lesson, todo, id)",
]


def test_a_db_at_the_last_numbered_version_keeps_its_check_attempts_and_is_stamped(tutor_home):
    db = tutor_home / "progress.db"
    shutil.copyfile(FIXTURE, db)
    conn = _connect(db)
    conn.execute("BEGIN")
    for statement in LEGACY_V3:
        conn.execute(statement)
    conn.execute("INSERT INTO check_attempts (learner_id, lesson, todo, status, check_id, created_at)"
                 " VALUES ('alice', 3, 'todo_1', 'failed', 'shape', ?)", (T.format(6),))
    conn.execute("PRAGMA user_version = 3")
    conn.execute("COMMIT")
    tables = V1_TABLES + ["criterion_scores", "check_attempts"]
    columns = {t: [c[1] for c in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    before = _rows(conn, columns)
    conn.close()

    store = open_store(make_settings(tutor_home))

    assert store.schema_version == schema.head()
    conn = _connect(db)
    assert _rows(conn, columns) == before
    assert [a["check_id"] for a in store.check_attempts("alice")] == ["shape"]


def test_a_db_at_version_2_gains_the_check_attempts_table_through_alembic(tutor_home):
    db = tutor_home / "progress.db"
    shutil.copyfile(FIXTURE, db)
    store = open_store(make_settings(tutor_home))
    conn = _connect(db)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == schema.head()
    assert conn.execute("SELECT COUNT(*) FROM check_attempts").fetchone()[0] == 0
    store.record_check_attempts("alice", 3, [{"todo": "todo_1", "status": "passed"}], source="lab")
    assert [a["status"] for a in store.check_attempts("alice")] == ["passed"]


def test_a_numbered_version_past_the_last_one_is_refused(tutor_home):
    conn = _connect(tutor_home / "progress.db")
    conn.execute("PRAGMA user_version = 4")
    conn.close()
    with pytest.raises(StoreError, match=r"schema version 4 is newer"):
        open_store(make_settings(tutor_home))


def test_head_constant_is_the_newest_alembic_script():
    """schema.HEAD lets an up-to-date open skip Alembic; a new script must move it too."""
    assert schema.HEAD == schema.script_head()


def test_opening_an_up_to_date_database_takes_no_write_lock(tmp_path):
    engine = create_store_engine(tmp_path / "p.db")
    schema.migrate(engine)
    holder = sqlite3.connect(tmp_path / "p.db", timeout=0)
    holder.execute("BEGIN IMMEDIATE")  # another process is writing
    try:
        assert schema.migrate(create_store_engine(tmp_path / "p.db", busy_timeout_ms=100)) == (schema.HEAD, schema.HEAD)
    finally:
        holder.rollback()
        holder.close()
