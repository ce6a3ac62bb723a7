from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def tutor_home(_isolated_user_data) -> Path:
    return Path(_isolated_user_data)


@pytest.fixture
def pg_url():
    """The URL of a fresh PostgreSQL database, dropped after the test (skips without a server)."""
    from tests.store.pg_support import fresh_database, server_url

    url, drop = fresh_database(server_url())
    yield url
    drop()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, tutor_home):
    """The progress DB of the test: the SQLite default, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    yield request.getfixturevalue("pg_url")


@pytest.fixture
def store(tutor_home, backend):
    from tests.store.store_support import make_settings
    from tutor.store import open_store

    return open_store(make_settings(tutor_home, database_url=backend))
