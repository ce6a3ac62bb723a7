"""Alembic environment for the progress store. Run only through tutor.store.schema, which
passes the connection (already holding the migration lock) in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from tutor.store import models  # noqa: F401  (registers the tables)
from sqlmodel import SQLModel

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
