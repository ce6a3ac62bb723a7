"""The connection string LangGraph's PostgreSQL saver gets: psycopg's own scheme, the password
kept for the driver, and a connect timeout so a server that drops packets cannot stall a turn
for the operating system's TCP timeout (minutes)."""

from __future__ import annotations

import pytest

from tutor.agent.checkpoints import libpq_url
from tutor.store.urls import CONNECT_TIMEOUT_S, BadURL, libpq_dsn

psycopg = pytest.importorskip("psycopg", reason="the [postgres] extra is not installed")


def test_the_checkpoint_connection_has_a_connect_timeout():
    got = psycopg.conninfo.conninfo_to_dict(libpq_url("postgresql+psycopg://ada:s3cret@db.example:5433/course"))
    assert got["connect_timeout"] == str(CONNECT_TIMEOUT_S) and 0 < CONNECT_TIMEOUT_S <= 10
    assert (got["host"], got["port"], got["dbname"], got["user"], got["password"]) == (
        "db.example", "5433", "course", "ada", "s3cret")


def test_a_timeout_the_url_sets_is_kept():
    got = psycopg.conninfo.conninfo_to_dict(libpq_dsn("postgresql://ada@db/course?connect_timeout=30&sslmode=require"))
    assert got["connect_timeout"] == "30" and got["sslmode"] == "require"


def test_sqlite_has_no_libpq_string_and_a_bad_scheme_is_refused():
    assert libpq_url("sqlite:////tmp/progress.db") is None
    with pytest.raises(BadURL):
        libpq_dsn("mysql://ada@db/course")
