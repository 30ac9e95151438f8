"""console_sign_in_failure: failed console sign-ins, shared by every replica

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Held in each process's memory before: with several replicas a guesser got five tries
    # per replica. Only the client address's digest is kept, for one period.
    op.create_table(
        'console_sign_in_failure',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('client', sa.String(length=64), nullable=False),
        sa.Column('failed_at', app.db.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_console_sign_in_failure_client_at', 'console_sign_in_failure',
                    ['client', 'failed_at'])
    op.create_index('ix_console_sign_in_failure_failed_at', 'console_sign_in_failure',
                    ['failed_at'])


def downgrade() -> None:
    op.drop_table('console_sign_in_failure')
