"""A database password in the URL's query (libpq takes ?password=, ?sslpassword=, ?passfile=)
is masked like the userinfo one, and a granted role's URL never carries the owner's.
No server needed: the grant's database work is replaced, its printed URL is what is tested."""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from tests.store.store_support import make_settings
from tutor.store.urls import display_url

OWNER = "postgresql+psycopg://owner@127.0.0.1:9/course?password=OwnerSecret&sslmode=require&passfile=/home/o/.pgpass"


@pytest.mark.parametrize("url, shown", [
    ("postgresql+psycopg://ada@127.0.0.1:9/db?password=TopSecretPASS",
     "postgresql+psycopg://ada@127.0.0.1:9/db?password=***"),
    ("postgresql+psycopg://ada@h/db?sslmode=verify-full&sslpassword=TopSecretPASS&passfile=/TopSecretPASS",
     "postgresql+psycopg://ada@h/db?passfile=***&sslmode=verify-full&sslpassword=***"),  # keys sorted
    ("postgresql+psycopg://ada:p@TopSecretPASS@h/db", "postgresql+psycopg://***@h/db"),
    ("postgresql+psycopg://ada:TopSecretPASS@h:5433/db", "postgresql+psycopg://ada:***@h:5433/db"),
    ("sqlite:////tmp/progress.db", "sqlite:////tmp/progress.db"),
])
def test_the_database_url_is_shown_without_any_password(url, shown):
    assert display_url(url) == shown


def test_the_configuration_view_masks_a_query_password(tutor_home):
    view = make_settings(tutor_home, database_url="postgresql+psycopg://ada@127.0.0.1:9/db?password=TopSecretPASS").public_view()
    assert "TopSecretPASS" not in str(view) and view["database_url"].endswith("?password=***")


def test_a_granted_role_connects_without_the_owners_password(tutor_home, monkeypatch):
    from tutor.cli import app, db
    from tutor.store import cohort

    @contextmanager
    def begin():
        yield None

    monkeypatch.setenv("TUTOR_DATABASE_URL", OWNER)
    monkeypatch.setattr(db, "_store", lambda cfg: SimpleNamespace(engine=SimpleNamespace(begin=begin)))
    monkeypatch.setattr(cohort, "grant", lambda conn, kind, name: (f"tutor_{kind}_{name}", "NewRolePass"))

    out = CliRunner().invoke(app, ["db", "grant-learner", "ada"])

    assert out.exit_code == 0, out.output
    assert "OwnerSecret" not in out.output and ".pgpass" not in out.output
    line = next(x for x in out.output.splitlines() if x.startswith("they connect with"))
    assert line == ("they connect with: export TUTOR_DATABASE_URL="
                    "'postgresql+psycopg://tutor_learner_ada:PASSWORD@127.0.0.1:9/course?sslmode=require'")
