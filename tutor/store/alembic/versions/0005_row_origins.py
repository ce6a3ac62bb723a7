"""An ``origin`` on every row that has an autoincrement id and a learner: a stable identity of
the row wherever it was first written (a uuid), so that a turn kept on disk while the database
was away (tutor.store.pending) and a learner's offline rows pushed to a cohort database
(tutor db push) are written once however often they are sent. NULL for rows made before it;
unique per learner. Criterion scores travel with their submission and need none. Row security
(0004) covers the new column: its policies are per row and its grants per table.

Revision ID: 0005
Revises: 0004
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = ("turns", "misconceptions", "contract_events", "submissions", "runs", "summaries", "check_attempts")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("origin", sa.String(), nullable=True))
        op.create_index(f"ux_{table}_origin", table, ["learner_id", "origin"], unique=True)


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ux_{table}_origin", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("origin")
