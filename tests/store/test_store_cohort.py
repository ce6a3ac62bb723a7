"""A cohort on PostgreSQL: learner roles see and write only their own rows, checkpoints
included; the instructor role sees everyone; no learner can turn the policies off. Against a
real server (.ci/services/postgres.sh); skipped with the reason elsewhere."""

from __future__ import annotations

import json

import pytest
import sqlalchemy
from sqlalchemy.exc import DBAPIError, ProgrammingError

from tests.store.pg_support import as_role
from tests.store.store_support import make_settings, sample_report, sample_run
from tutor.store import cohort, open_store


def _engine(url):
    return sqlalchemy.create_engine(url)


@pytest.fixture
def cohort_db(pg_url, tutor_home):
    """alice, bob and the instructor ines on a fresh cohort DB; each with their own URL."""
    open_store(make_settings(tutor_home, database_url=pg_url))  # the owner migrates
    admin = _engine(pg_url)
    with admin.begin() as conn:
        granted = {name: cohort.grant(conn, kind, name)
                   for kind, name in [("learner", "alice"), ("learner", "bob"), ("instructor", "ines")]}
    admin.dispose()
    urls = {name: as_role(pg_url, role, password) for name, (role, password) in granted.items()}
    for name in ("alice", "bob"):
        store = open_store(make_settings(tutor_home, database_url=urls[name]))
        store.ensure_learner(name)
        store.record_turn(name, 3, message=f"{name} asks", reply="r", intent="concept", action="explain")
        store.record_misconception(name, 3, "kv_quadratic", "n^2")
        store.record_contract_event(name, 3, "outsourcing_request", "coach")
        store.record_submission(name, 3, f"h-{name}", f"/subs/{name}", sample_report(name=name, content_hash=f"h-{name}"))
        store.record_run(name, 3, sample_run(run_id=f"r-{name}"))
        store.record_check_attempts(name, 3, [{"todo": "todo_1", "status": "failed", "check_id": "shape"}])
        _put_checkpoint(urls[name], f"{name}:lesson_03")
    return urls


def _libpq(url: str) -> str:
    return sqlalchemy.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _put_checkpoint(url: str, thread: str) -> None:
    from langgraph.checkpoint.base import empty_checkpoint
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(_libpq(url)) as saver:
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"message": "hello"}
        checkpoint["channel_versions"] = {"message": 1}
        saver.put({"configurable": {"thread_id": thread, "checkpoint_ns": ""}}, checkpoint, {}, {"message": 1})


def _threads(url: str) -> set[str]:
    from langgraph.checkpoint.postgres import PostgresSaver

    with PostgresSaver.from_conn_string(_libpq(url)) as saver:
        return {c.config["configurable"]["thread_id"] for c in saver.list(None)}


TABLES = ["turns", "misconceptions", "contract_events", "submissions", "runs", "check_attempts", "lesson_progress",
          "learners"]


def _counts(url: str) -> dict[str, dict[str, int]]:
    engine = _engine(url)
    with engine.connect() as conn:
        out = {}
        for table in TABLES:
            column = "id" if table == "learners" else "learner_id"
            out[table] = dict(conn.exec_driver_sql(f"SELECT {column}, COUNT(*) FROM {table} GROUP BY 1").all())
        out["criterion_scores"] = {"any": conn.exec_driver_sql("SELECT COUNT(*) FROM criterion_scores").scalar()}
    engine.dispose()
    return out


def test_a_learner_role_reads_only_its_own_rows_and_checkpoints(cohort_db, tutor_home):
    alice = _counts(cohort_db["alice"])
    assert all(set(alice[t]) == {"alice"} for t in TABLES), alice
    assert alice["criterion_scores"] == {"any": 2}  # alice's own two criteria, none of bob's
    assert _threads(cohort_db["alice"]) == {"alice:lesson_03"}
    store = open_store(make_settings(tutor_home, database_url=cohort_db["alice"]))
    assert store.recent_turns("bob") == [] and store.submissions("bob") == [] and store.runs("bob") == []
    assert store.learners() == ["alice"]


def test_the_instructor_role_sees_every_learner(cohort_db, tutor_home):
    ines = _counts(cohort_db["ines"])
    assert all(set(ines[t]) == {"alice", "bob"} for t in TABLES), ines
    assert _threads(cohort_db["ines"]) == {"alice:lesson_03", "bob:lesson_03"}
    store = open_store(make_settings(tutor_home, database_url=cohort_db["ines"]))
    assert [row["learner"] for row in store.cohort_matrix()["rows"]] == ["alice", "bob"]


@pytest.mark.parametrize("statement", [
    "INSERT INTO turns (learner_id, lesson, created_at, intent, action, citations, guard, misconceptions, model,"
    " text_logged) VALUES ('bob', 3, now(), 'concept', 'explain', '[]', '[]', '[]', 'offline', false)",
    "INSERT INTO misconceptions (learner_id, lesson, misconception_id, created_at, resolved)"
    " VALUES ('bob', 3, 'x', now(), false)",
    "UPDATE turns SET learner_id = 'bob' WHERE learner_id = 'alice'",
    "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, checkpoint, metadata)"
    " VALUES ('bob:lesson_03', '', 'forged', '{}', '{}')",
])
def test_a_learner_role_cannot_write_another_learners_rows(cohort_db, statement):
    engine = _engine(cohort_db["alice"])
    with pytest.raises(ProgrammingError, match="row-level security"):
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
    engine.dispose()


def test_updates_and_deletes_of_another_learners_rows_touch_nothing(cohort_db):
    engine = _engine(cohort_db["alice"])
    with engine.begin() as conn:
        for table in ("turns", "submissions", "runs", "contract_events", "misconceptions"):
            assert conn.exec_driver_sql(f"DELETE FROM {table} WHERE learner_id = 'bob'").rowcount == 0
        assert conn.exec_driver_sql("UPDATE turns SET reply = 'x' WHERE learner_id = 'bob'").rowcount == 0
        assert conn.exec_driver_sql("DELETE FROM checkpoints WHERE thread_id LIKE 'bob:%%'").rowcount == 0
    engine.dispose()
    assert _counts(cohort_db["ines"])["turns"] == {"alice": 1, "bob": 1}
    assert _threads(cohort_db["ines"]) == {"alice:lesson_03", "bob:lesson_03"}


@pytest.mark.parametrize("statement", [
    "ALTER TABLE turns DISABLE ROW LEVEL SECURITY",
    "DROP POLICY learner_own ON turns",
    "ALTER TABLE checkpoints NO FORCE ROW LEVEL SECURITY",
    "SET ROLE tutor_instructor",
    "UPDATE cohort_members SET learner_id = 'bob'",
])
def test_a_learner_role_cannot_turn_the_policies_off(cohort_db, statement):
    engine = _engine(cohort_db["alice"])
    with pytest.raises(DBAPIError):
        with engine.begin() as conn:
            conn.exec_driver_sql(statement)
    engine.dispose()
    assert set(_counts(cohort_db["alice"])["turns"]) == {"alice"}


def test_progress_on_a_learner_role_is_that_learners_own(cohort_db, tutor_home):
    from tests.store.test_store_db_cli import tutor

    mine = tutor(tutor_home, "progress", "--json", url=cohort_db["alice"])  # no --learner: the role's learner
    assert mine.returncode == 0, mine.stderr
    assert json.loads(mine.stdout)["learner"] == "alice"
    other = tutor(tutor_home, "progress", "--learner", "bob", url=cohort_db["alice"])
    assert other.returncode == 2 and "belongs to learner 'alice' and cannot read 'bob'" in other.stderr
    assert len(other.stderr.strip().splitlines()) == 1 and "Traceback" not in other.stderr
