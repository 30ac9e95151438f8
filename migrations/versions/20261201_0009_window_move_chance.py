"""window_move_chance: the chance that the sighting moves a window's end off its planned day

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 16:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: windows written before it are "not priced" and keep their spoken range
    # until the next re-plan fills it in.
    with op.batch_alter_table('window') as batch:
        batch.add_column(sa.Column('move_chance', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('window') as batch:
        batch.drop_column('move_chance')
