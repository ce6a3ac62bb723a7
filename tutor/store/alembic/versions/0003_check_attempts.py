"""Attempt history of `tutor check`: one row per TODO per check run, its status and, when it
failed, the first check that failed. A SQLite file made by the numbered scheme at
``PRAGMA user_version`` 3 already has this table and is stamped here (tutor.store.schema).

Revision ID: 0003
Revises: 0002
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('check_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.String(), nullable=False),
    sa.Column('lesson', sa.Integer(), nullable=False),
    sa.Column('todo', sa.String(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('check_id', sa.String(), nullable=True),
    sa.Column('source', sa.String(), nullable=False, server_default='lab'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_check_attempts_learner', 'check_attempts', ['learner_id', 'lesson', 'todo', 'id'])


def downgrade() -> None:
    op.drop_index('ix_check_attempts_learner', table_name='check_attempts')
    op.drop_table('check_attempts')
