"""Database URLs: which ones the store accepts, and how to show one without its password."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

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


def display_url(url: str | URL) -> str:
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except ArgumentError:
        return "(unreadable URL)"
    return parsed.render_as_string(hide_password=True)


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
