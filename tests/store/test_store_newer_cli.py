"""A database written by a newer tutor (a schema revision this code does not know): every
command that opens it says so in one line, what to do, exit 2, no traceback, and the
database is left as it is (SQLite and PostgreSQL)."""

from __future__ import annotations

import json

import sqlalchemy

from tests.store.test_store_db_cli import tutor

FUTURE = "9999_from_the_future"


def _from_the_future(backend, tutor_home) -> str:
    assert tutor(tutor_home, "db", "upgrade", url=backend).returncode == 0
    url = backend or f"sqlite:///{tutor_home / 'progress.db'}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{FUTURE}'")
    engine.dispose()
    return url


def _revision(url: str) -> str:
    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        found = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    engine.dispose()
    return found


def test_a_newer_database_is_one_line_exit_2_from_every_command(backend, tutor_home):
    url = _from_the_future(backend, tutor_home)
    for args in (["db", "current"], ["db", "current", "--json"], ["db", "upgrade"], ["ask", "what is a KV cache?"],
                 ["progress"]):
        out = tutor(tutor_home, *args, url=backend)
        assert out.returncode == 2, (args, out.stdout, out.stderr)
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("tutor: "), (args, out.stderr)
        assert f"schema revision {FUTURE} is newer than this tutor knows" in lines[0], (args, lines)
        assert "upgrade the tutor" in lines[0] and "Traceback" not in out.stderr
    doctor = tutor(tutor_home, "doctor", "--json", url=backend)
    assert "Traceback" not in doctor.stderr
    check = next(c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "progress db")
    assert check["status"] == "fail" and "is newer than this tutor knows" in check["detail"], check
    assert "upgrade the tutor" in check["detail"] and "tutor db upgrade" not in check["detail"]
    assert _revision(url) == FUTURE  # nothing was migrated or stamped


