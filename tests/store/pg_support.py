"""A PostgreSQL database of its own for a test, on the server .ci/run starts
(.ci/services/postgres.sh exports TUTOR_TEST_DATABASE_URL, a superuser URL)."""

from __future__ import annotations

import os
import secrets

from tests.conftest import needs_service

ENV = "TUTOR_TEST_DATABASE_URL"


def server_url() -> str:
    """The admin URL, or skip (fail under .ci/run) saying why there is none."""
    url = os.environ.get(ENV)
    if not url:
        needs_service("postgres", f"no PostgreSQL server: set {ENV} (source .ci/services/postgres.sh)")
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(url, connect_args={"connect_timeout": 5})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:  # the reason, without the URL
        needs_service("postgres", f"PostgreSQL at {ENV} is not reachable: {type(exc).__name__}")
    return url


def fresh_database(admin_url: str) -> tuple[str, callable]:
    """A new empty database (its URL) and the function that drops it."""
    import sqlalchemy
    from sqlalchemy.engine import make_url

    name = f"tutor_t_{secrets.token_hex(6)}"
    admin = sqlalchemy.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")

    def drop() -> None:
        from tutor.store import open as opening

        for key in [k for k in opening._ENGINES if name in k[0]]:
            opening._ENGINES.pop(key).dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def as_role(url: str, role: str, password: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(username=role, password=password).render_as_string(hide_password=False)


def database_name(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database


class away:
    """The database at ``url`` goes away for a while: every connection to it is terminated
    (pg_terminate_backend) and new ones are refused (ALLOW_CONNECTIONS false) until the block
    ends. Run from the server's admin database."""

    def __init__(self, url: str):
        import sqlalchemy

        self.name = database_name(url)
        self.admin = sqlalchemy.create_engine(server_url(), isolation_level="AUTOCOMMIT")

    def __enter__(self):
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE {self.name} ALLOW_CONNECTIONS false")
            killed = conn.exec_driver_sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %(d)s AND pid <> pg_backend_pid()", {"d": self.name}).scalar()
        self.killed = killed
        return self

    def __exit__(self, *exc):
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f"ALTER DATABASE {self.name} ALLOW_CONNECTIONS true")
        self.admin.dispose()
