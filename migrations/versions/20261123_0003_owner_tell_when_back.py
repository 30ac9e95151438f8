"""owner.tell_when_back: tell the clients who wrote during a break that the owner is back

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('owner') as batch:
        batch.add_column(sa.Column('tell_when_back', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('owner') as batch:
        batch.drop_column('tell_when_back')
