"""Database URLs: which ones the store accepts, and how to show one without its password."""

from __future__ import annotations

import re

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from tutor.redact import SECRET_PARAM, redact_params, redact_url

SUPPORTED = ("sqlite", "postgresql+psycopg")


class BadURL(ValueError):
    """A database URL the store cannot use; the message never contains the password."""


def parse(url: str) -> URL:
    """The URL as SQLAlchemy reads it; ``postgresql://`` means the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BadURL("the database URL cannot be read; use postgresql+psycopg://USER@HOST:PORT/DB "
                     "or leave TUTOR_DATABASE_URL unset for the SQLite default") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in SUPPORTED:
        raise BadURL(f"unsupported database scheme '{parsed.drivername}'; use postgresql+psycopg://... "
                     "or leave TUTOR_DATABASE_URL unset for the SQLite default")
    return parsed


# Query parameters that carry a credential to libpq (?password=, ?sslpassword=, ?passfile=) or
# look like one (tutor.redact.SECRET_PARAM): never shown, never handed on to another role.
SECRET_QUERY = re.compile(f"{SECRET_PARAM.pattern}|passfile", re.IGNORECASE)
# What a learner's or instructor's URL keeps of the owner's query: how to connect, nothing personal.
SHARED_QUERY = ("sslmode", "connect_timeout", "target_session_attrs", "channel_binding", "gssencmode")


def display_url(url: str | URL) -> str:
    """The URL with its password masked: the userinfo one and any ?password= (libpq takes both)."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except ArgumentError:
        return "(unreadable URL)"
    shown = parsed.render_as_string(hide_password=True)
    if parsed.host and "@" in parsed.host:  # u:p@ss@host: SQLAlchemy's password stops at the first @
        shown = redact_url(shown)
    return redact_params(shown, SECRET_QUERY)


def role_url(url: str, role: str, password: str = "PASSWORD") -> str:
    """The URL a new role connects with: the owner's scheme, host, port and database, and only
    the connection parameters in SHARED_QUERY (never the owner's ?password= or ?passfile=)."""
    owner = parse(url)
    query = {k: v for k, v in owner.query.items() if k in SHARED_QUERY}
    return URL.create(owner.drivername, username=role, password=password, host=owner.host, port=owner.port,
                      database=owner.database, query=query).render_as_string(hide_password=False)


def is_postgres(url: str | URL | None) -> bool:
    return bool(url) and parse(str(url) if isinstance(url, URL) else url).drivername.startswith("postgresql")


CONNECT_TIMEOUT_S = 5  # a server that drops packets (not one that refuses) is given up after this


def libpq_dsn(url: str) -> str:
    """The same URL for psycopg itself (LangGraph's PostgresSaver): no '+psycopg', and a
    connect timeout unless the URL sets one (libpq's default is to wait for the OS, minutes)."""
    parsed = parse(url).set(drivername="postgresql")
    if "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    return parsed.render_as_string(hide_password=False)
