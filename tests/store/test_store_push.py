"""`tutor db push --to URL`: a learner's offline rows and threads copied into another database
once, however often it runs; a row the target has with other content is reported, not
overwritten; errors are one line. Targets: a SQLite file, a real PostgreSQL database as its
owner, and the same as the learner's own row-security role."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy

from tests.store.store_support import make_settings, sample_report, sample_run
from tests.store.test_store_db_cli import tutor

TABLES = ("turns", "misconceptions", "contract_events", "submissions", "criterion_scores", "runs", "summaries",
          "check_attempts", "lesson_progress", "profiles")


@pytest.fixture(params=["sqlite", "postgres", "postgres-learner-role"])
def target(request, tmp_path):
    """(the URL push writes to, a URL that reads everything there)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/cohort/progress.db"
        return url, url
    from tests.store.pg_support import as_role
    from tutor.store import cohort, open_store

    url = request.getfixturevalue("pg_url")
    if request.param == "postgres":
        return url, url
    store = open_store(make_settings(tmp_path / "owner", database_url=url))  # the owner migrates
    with store.engine.begin() as conn:
        role, password = cohort.grant(conn, "learner", "ada")
    return as_role(url, role, password), url


@pytest.fixture
def local(tutor_home):
    """ada's (and bo's) offline work in the SQLite default store, one row of every kind, and a
    conversation thread in the checkpoint file."""
    from langgraph.checkpoint.base import empty_checkpoint

    from tutor.store import open_store
    from tutor.store.push import sync_saver

    settings = make_settings(tutor_home)
    store = open_store(settings)
    for learner in ("ada", "bo"):
        store.save_profile(learner, name=learner.title(), goals="serve a model")
        store.record_turn(learner, 3, message=f"{learner}: what is a KV cache?", reply="keys and values", intent="concept",
                          action="explain", citations=[{"lesson": 3, "anchor": "kv"}])
        store.record_misconception(learner, 3, "kv_quadratic", "it grows with n^2")
        store.record_contract_event(learner, 3, "outsourcing_request", "coach", "give me the code")
        store.record_submission(learner, 3, f"hash-{learner}", f"/subs/{learner}", sample_report(name=learner))
        store.record_run(learner, 3, sample_run())
        store.save_summary(learner, 3, "measured the KV cache", ["try GQA"])
        store.record_check_attempts(learner, 3, [{"todo": "todo_1", "status": "failed", "check_id": "shape"}])
    with store._write() as s:  # rows made before revision 0005 have no origin: push gives them one
        s.connection().exec_driver_sql("UPDATE turns SET origin = NULL")
    with sync_saver(None, settings.checkpoint_path, create=True) as saver:
        for thread in ("ada:lesson_03", "bo:lesson_03"):
            checkpoint = empty_checkpoint()
            checkpoint["channel_values"] = {"attempts": 2}
            checkpoint["channel_versions"] = {"attempts": 1}
            saver.put({"configurable": {"thread_id": thread, "checkpoint_ns": ""}}, checkpoint, {"step": 1},
                      {"attempts": 1})
    return store


def _counts(url: str) -> dict[str, int]:
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        out = {t: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t}").scalar() for t in TABLES}
        out["learners"] = sorted(r[0] for r in conn.exec_driver_sql("SELECT id FROM learners"))
        out["scores_point_at_target"] = conn.exec_driver_sql(
            "SELECT COUNT(*) FROM criterion_scores c JOIN submissions s ON s.id = c.submission_id "
            "WHERE s.learner_id = 'ada'").scalar()
    engine.dispose()
    return out


def _threads(push_url: str, tutor_home) -> list:
    from tutor.store import urls
    from tutor.store.push import sync_saver

    parsed = urls.parse(push_url)
    beside = Path(parsed.database).with_name("checkpoints.db") if parsed.drivername == "sqlite" else None
    with sync_saver(push_url, beside, create=False) as saver:
        return [t.checkpoint["channel_values"] for t in saver.list({"configurable": {"thread_id": "ada:lesson_03"}})]


def test_push_twice_copies_each_row_once(local, target, tutor_home):
    push_url, admin_url = target
    first = tutor(tutor_home, "db", "push", "--to", push_url, "--learner", "ada", "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["conflicts"] == [] and report["learner"] == "ada"
    assert all(c["inserted"] == 1 for t, c in report["counts"].items()), report["counts"]
    after_first = _counts(admin_url)
    assert after_first["learners"] == ["ada"]  # bo's rows stay on this machine
    assert after_first["scores_point_at_target"] == 2 and after_first["turns"] == 1
    assert _threads(push_url, tutor_home) == [{"attempts": 2}]

    second = tutor(tutor_home, "db", "push", "--to", push_url, "--learner", "ada")

    assert second.returncode == 0, second.stderr
    assert "turns: 0 copied, 1 already there, 0 conflicting" in second.stdout
    assert "checkpoints: 0 copied, 1 already there, 0 conflicting" in second.stdout
    assert _counts(admin_url) == after_first
    assert _threads(push_url, tutor_home) == [{"attempts": 2}]


def test_a_row_the_target_has_with_other_content_is_reported_and_left_alone(local, target, tutor_home):
    push_url, admin_url = target
    assert tutor(tutor_home, "db", "push", "--to", push_url, "--learner", "ada").returncode == 0
    engine = sqlalchemy.create_engine(admin_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE turns SET reply = 'edited on the server' WHERE learner_id = 'ada'")
    again = tutor(tutor_home, "db", "push", "--to", push_url, "--learner", "ada")
    assert again.returncode == 1, again.stderr
    assert "turns: 0 copied, 0 already there, 1 conflicting" in again.stdout
    assert "conflict: turns origin" in again.stdout and "(reply); left as it is" in again.stdout
    with engine.connect() as conn:
        assert [r[0] for r in conn.exec_driver_sql("SELECT reply FROM turns")] == ["edited on the server"]
    engine.dispose()
    assert local.recent_turns("ada")[0]["reply"] == "keys and values"


def test_a_learner_role_pushes_only_its_own_learner(local, tutor_home, pg_url, tmp_path):
    from tests.store.pg_support import as_role
    from tutor.store import cohort, open_store

    owner = open_store(make_settings(tmp_path / "owner", database_url=pg_url))
    with owner.engine.begin() as conn:
        ada_url = as_role(pg_url, *cohort.grant(conn, "learner", "ada"))
    out = tutor(tutor_home, "db", "push", "--to", ada_url, "--learner", "bo")
    assert out.returncode == 2 and "belongs to learner 'ada' and cannot act as 'bo'" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert _counts(pg_url)["turns"] == 0
    default = tutor(tutor_home, "db", "push", "--to", ada_url)  # no --learner: the role's learner
    assert default.returncode == 0 and default.stdout.startswith("pushed learner ada to"), default.stderr


def test_work_done_offline_as_the_default_learner_becomes_the_roles(tutor_home, pg_url, tmp_path):
    from tests.store.pg_support import as_role
    from tutor.store import cohort, open_store
    from tutor.store.push import sync_saver

    settings = make_settings(tutor_home)
    open_store(settings).record_turn("default", 3, message="asked offline", reply="r", intent="concept",
                                     action="explain")
    from langgraph.checkpoint.base import empty_checkpoint

    with sync_saver(None, settings.checkpoint_path, create=True) as saver:
        saver.put({"configurable": {"thread_id": "default:lesson_03", "checkpoint_ns": ""}}, empty_checkpoint(),
                  {}, {})
    owner = open_store(make_settings(tmp_path / "owner", database_url=pg_url))
    with owner.engine.begin() as conn:
        ada_url = as_role(pg_url, *cohort.grant(conn, "learner", "ada"))
    for _ in range(2):
        out = tutor(tutor_home, "db", "push", "--to", ada_url)
        assert out.returncode == 0 and out.stdout.startswith("pushed learner default as ada to"), out.stderr
    assert [t["message"] for t in owner.recent_turns("ada")] == ["asked offline"]
    assert owner.learners() == ["ada"]
    engine = sqlalchemy.create_engine(pg_url)
    with engine.connect() as conn:
        assert [r[0] for r in conn.exec_driver_sql("SELECT thread_id FROM checkpoints")] == ["ada:lesson_03"]
    engine.dispose()


def _has_postgres_extra() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("psycopg", "langgraph.checkpoint.postgres"))


@pytest.mark.parametrize("url,says", [
    # on the README's default install (no [postgres] extra) the same URL names the extra to install
    ("postgresql+psycopg://someone:hunter2secret@127.0.0.1:1/cohort",
     "not reachable" if _has_postgres_extra() else "needs the PostgreSQL extra"),
    ("mysql://someone:hunter2secret@127.0.0.1/cohort", "unsupported database scheme 'mysql'"),
])
def test_a_target_that_cannot_be_used_is_one_line(local, tutor_home, url, says):
    out = tutor(tutor_home, "db", "push", "--to", url, "--learner", "ada")
    assert out.returncode == 2 and says in out.stderr, out.stderr
    assert out.stderr.startswith("tutor: ") and len(out.stderr.strip().splitlines()) == 1
    assert "hunter2secret" not in out.stderr + out.stdout and "Traceback" not in out.stderr


def test_pushing_into_the_database_in_use_is_refused(local, tutor_home):
    out = tutor(tutor_home, "db", "push", "--to", f"sqlite:///{tutor_home}/progress.db", "--learner", "ada")
    assert out.returncode == 2 and "is the database this tutor already uses" in out.stderr
