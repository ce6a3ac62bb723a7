"""PostgreSQL only (nothing on SQLite): the LangGraph checkpoint tables, made here by the
database owner so that learner roles never need to create tables, and row-level security on
every progress and checkpoint table (tutor.store.cohort).

The checkpoint tables are langgraph-checkpoint-postgres's own migrations, recorded in its
``checkpoint_migrations`` table as its ``setup()`` would; its ``CREATE INDEX CONCURRENTLY``
cannot run inside this migration's transaction and is run plainly (the tables are new).

Revision ID: 0004
Revises: 0003
"""
from typing import Sequence, Union

from alembic import op


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from langgraph.checkpoint.postgres.base import BasePostgresSaver

    from tutor.store.cohort import security_statements

    bind = op.get_bind()
    bind.exec_driver_sql(BasePostgresSaver.MIGRATIONS[0])
    done = {v for (v,) in bind.exec_driver_sql("SELECT v FROM checkpoint_migrations")}
    for v, migration in enumerate(BasePostgresSaver.MIGRATIONS[1:], start=1):
        if v not in done:
            bind.exec_driver_sql(migration.replace("CONCURRENTLY ", ""))
            bind.exec_driver_sql(f"INSERT INTO checkpoint_migrations (v) VALUES ({v})")
    for statement in security_statements():
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    from tutor.store.cohort import OWNED_BY, OWNED_THROUGH

    for table in [*OWNED_BY, *OWNED_THROUGH]:
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
