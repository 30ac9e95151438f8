"""confirmation: the re-planning a confirmation or withdrawal asks for, run in batches

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 13:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Confirmations recorded before this revision were applied in their own transaction.
    with op.batch_alter_table('confirmation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                      server_default='applied'))
        batch_op.add_column(sa.Column('owners_total', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('owners_done', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('corrections_queued', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('replan_after', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('replanned_at', app.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_confirmation_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('confirmation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_confirmation_status'))
        for column in ('replanned_at', 'replan_after', 'corrections_queued', 'owners_done',
                       'owners_total', 'status'):
            batch_op.drop_column(column)
