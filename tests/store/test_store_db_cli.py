"""`tutor db upgrade|current|grant-*` and `tutor doctor` on the database, on SQLite and on a
real PostgreSQL; the owner's password never shows; two processes opening a fresh database at
once migrate it once."""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import os
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from tests.store.store_support import migrate_fresh
from tutor.store import schema


def tutor(home, *args, url=None):
    env = {**os.environ, "TUTOR_HOME": str(home)}
    env.pop("TUTOR_DATABASE_URL", None)
    if url:
        env["TUTOR_DATABASE_URL"] = url
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True, timeout=300,
                          env=env)


def _db_url(backend, tutor_home):
    return backend or str(tutor_home / "progress.db")  # a URL, or the SQLite file's path


def test_current_then_upgrade_then_current(backend, tutor_home):
    before = tutor(tutor_home, "db", "current", url=backend)
    assert before.returncode == 0 and before.stdout.startswith("none ("), before.stderr
    up = tutor(tutor_home, "db", "upgrade", url=backend)
    assert up.returncode == 0 and f"none -> {schema.head()}" in up.stdout, up.stderr
    after = tutor(tutor_home, "db", "current", "--json", url=backend)
    view = json.loads(after.stdout)
    assert view["revision"] == view["head"] == schema.head()
    assert view["row_security"] is (True if backend else None)


def test_doctor_names_the_database_and_never_its_password(backend, tutor_home):
    tutor(tutor_home, "db", "upgrade", url=backend)
    out = tutor(tutor_home, "doctor", "--json", url=backend)
    check = next(c for c in json.loads(out.stdout)["checks"] if c["name"] == "progress db")
    kind = "postgresql" if backend else "sqlite"
    assert check["status"] == "ok" and check["detail"].startswith(kind), check
    assert f"schema revision {schema.head()}" in check["detail"]
    if backend:
        assert "row security on" in check["detail"]
        password = make_url(backend).password
        assert password and password not in out.stdout + out.stderr


def test_grant_learner_prints_how_to_connect_without_the_owners_password(pg_url, tutor_home):
    out = tutor(tutor_home, "db", "grant-learner", "alice", url=pg_url)
    assert out.returncode == 0, out.stderr
    assert "tutor_l_alice:PASSWORD@" in out.stdout
    assert make_url(pg_url).password not in out.stdout + out.stderr
    role_password = out.stdout.split("privately): ")[1].split()[0]
    learner_url = make_url(pg_url).set(username="tutor_l_alice", password=role_password)
    doctor = tutor(tutor_home, "doctor", "--json", url=learner_url.render_as_string(hide_password=False))
    check = next(c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "progress db")
    assert "connected as learner alice" in check["detail"] and role_password not in doctor.stdout
    again = tutor(tutor_home, "db", "grant-learner", "alice", url=pg_url)  # resets the password
    assert again.returncode == 0 and role_password not in again.stdout


def test_grant_on_sqlite_is_a_one_line_error(tutor_home):
    out = tutor(tutor_home, "db", "grant-learner", "alice")
    assert out.returncode == 2 and out.stderr.startswith("tutor: roles exist only on a cohort database")


HAS_PG_EXTRA = importlib.util.find_spec("psycopg") is not None


@pytest.mark.parametrize("url, message", [
    ("postgresql+psycopg://owner:hunter2@127.0.0.1:1/cohort",
     "the server is not reachable" if HAS_PG_EXTRA else "needs the PostgreSQL extra"),
    ("mysql://owner:hunter2@127.0.0.1/cohort", "unsupported database scheme 'mysql'"),
])
@pytest.mark.parametrize("command", [["db", "current"], ["db", "upgrade"], ["progress"]])
def test_a_database_that_cannot_be_used_is_one_line_exit_2(tutor_home, url, message, command):
    out = tutor(tutor_home, *command, url=url)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("tutor: ") and message in out.stderr
    assert "hunter2" not in out.stderr + out.stdout and "Traceback" not in out.stderr


def test_without_the_postgres_extra_a_cohort_url_says_what_to_install(tutor_home, monkeypatch):
    """The README's install (`.[dev]`) has no PostgreSQL driver: one line naming the extra."""
    from tutor.store import StoreError, open as opening

    monkeypatch.setattr(opening, "_importable", lambda name: name != "psycopg")
    with pytest.raises(StoreError, match=r"needs the PostgreSQL extra \(psycopg not installed\): "
                                         r"pip install 'course-tutor\[postgres\]'") as caught:
        opening._migrated_server("postgresql+psycopg://owner:hunter2@127.0.0.1:1/cohort")
    assert "hunter2" not in str(caught.value)


def test_a_wrong_password_is_one_line_exit_2(pg_url, tutor_home):
    wrong = make_url(pg_url).set(password="not-the-password").render_as_string(hide_password=False)
    out = tutor(tutor_home, "db", "upgrade", url=wrong)
    assert out.returncode == 2 and "refused the password" in out.stderr, out.stderr
    assert "not-the-password" not in out.stderr and out.stderr.count("\n") == 1


def test_two_processes_opening_a_fresh_database_at_once_migrate_it_once(backend, tutor_home):
    spawn = multiprocessing.get_context("spawn")
    barrier, results = spawn.Barrier(2), spawn.Queue()
    url = _db_url(backend, tutor_home)
    procs = [spawn.Process(target=migrate_fresh, args=(url, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    found = sorted(str(results.get(timeout=5)) for _ in procs)
    assert found == sorted(["None", schema.head()])
    if not backend:
        assert (tutor_home / "progress.db").is_file()  # one migrated the empty database, the other found it done
