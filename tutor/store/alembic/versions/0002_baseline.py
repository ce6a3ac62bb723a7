"""Baseline: the schema the last hand-written numbered SQLite step (PRAGMA user_version 2)
built, for both SQLite and PostgreSQL. A SQLite file made by the older tutor already has it:
tutor.store.schema stamps such a file at this revision instead of running it (a version-1
file first gets the one legacy step it lacks, see migrations.py).

Revision ID: 0002
Revises:
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""

    op.create_table('learners',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('current_lesson', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('contract_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.String(), nullable=False),
    sa.Column('lesson', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rule', sa.String(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('detail', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('lesson_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.String(), nullable=False),
    sa.Column('lesson', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('passed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('learner_id', 'lesson')
    )
    op.create_table('misconceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.String(), nullable=False),
    sa.Column('lesson', sa.Integer(), nullable=True),
    sa.Column('misconception_id', sa.String(), nullable=False),
    sa.Column('evidence', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved', sa.Boolean(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('profiles',
    sa.Column('learner_id', sa.String(), nullable=False),
    sa.Column('name', sa.String(), nullable=False),
    sa.Column('goals', sa.String(), nullable=False),
    sa.Column('experience', sa.String(), nullable=False),
    sa.Column('learning_style', sa.String(), nullable=False),
    sa.Column('python_fluency', sa.String(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('learner_id')
    )
    op.create_table('runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.String(), nullable=False),
    sa.Column('lesson', sa.Integer(), nullable=True),
    sa.Column('run_id', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.String(), nullable=True),
    sa.Column('reason', sa.String(), nullable=True),
    sa.Column('exit_code', sa.Integer(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('backend', sa.String(), nullable=True),
    sa.Column('command', sa.JSON(), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.String(), nullable=False),
    sa.Column('lesson', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(), nullable=True),
    sa.Column('path', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('graded_at', sa.String(), nullable=True),
    sa.Column('status', sa.String(), nullable=True),
    sa.Column('total', sa.Float(), nullable=True),
    sa.Column('pass_score', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('report', sa.JSON(), nullable=False),
    sa.Column('judge_model', sa.String(), nullable=True),
    sa.Column('checks', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('summaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.String(), nullable=False),
    sa.Column('lesson', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('where_left_off', sa.String(), nullable=False),
    sa.Column('next_steps', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('turns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.String(), nullable=False),
    sa.Column('lesson', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('intent', sa.String(), nullable=False),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('citations', sa.JSON(), nullable=False),
    sa.Column('guard', sa.JSON(), nullable=False),
    sa.Column('misconceptions', sa.JSON(), nullable=False),
    sa.Column('model', sa.String(), nullable=False),
    sa.Column('message', sa.String(), nullable=True),
    sa.Column('reply', sa.String(), nullable=True),
    sa.Column('text_logged', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learners.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('criterion_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.String(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('level', sa.Integer(), nullable=True),
    sa.Column('deterministic_score', sa.Float(), nullable=True),
    sa.Column('source', sa.String(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('rationale', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['submission_id'], ['submissions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )


    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


INDEXES = [
    ("ix_turns_learner", "turns", ["learner_id", "id"]),
    ("ix_submissions_hash", "submissions", ["content_hash", "lesson", "id"]),
    ("ix_criterion_scores_submission", "criterion_scores", ["submission_id"]),
    ("ix_submissions_learner_lesson", "submissions", ["learner_id", "lesson", "id"]),
    ("ix_progress_lesson", "lesson_progress", ["lesson"]),
    ("ix_misconceptions_learner", "misconceptions", ["learner_id", "resolved", "id"]),
    ("ix_misconceptions_lesson", "misconceptions", ["lesson", "misconception_id"]),
    ("ix_contract_events_learner", "contract_events", ["learner_id", "id"]),
    ("ix_runs_learner", "runs", ["learner_id", "id"]),
    ("ix_summaries_learner", "summaries", ["learner_id", "id"]),
]


def downgrade() -> None:
    """Downgrade schema."""

    op.drop_table('criterion_scores')
    op.drop_table('turns')
    op.drop_table('summaries')
    op.drop_table('submissions')
    op.drop_table('runs')
    op.drop_table('profiles')
    op.drop_table('misconceptions')
    op.drop_table('lesson_progress')
    op.drop_table('contract_events')
    op.drop_table('learners')

