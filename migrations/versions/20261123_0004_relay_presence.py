"""relay_presence: the relays running at one time share each platform's rate limit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('relay_presence',
                    sa.Column('worker', sa.String(length=64), nullable=False),
                    sa.Column('seen_at', app.db.UTCDateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('worker', name=op.f('pk_relay_presence')))


def downgrade() -> None:
    op.drop_table('relay_presence')
