"""edge guards: Mailgun tokens already seen, and request counts shared by the replicas

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 13:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('seen_token',
                    sa.Column('kind', sa.String(length=32), nullable=False),
                    sa.Column('token', sa.String(length=128), nullable=False),
                    sa.Column('digest', sa.String(length=64), nullable=False),
                    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
                    sa.PrimaryKeyConstraint('kind', 'token', name=op.f('pk_seen_token')))
    op.create_index(op.f('ix_seen_token_expires_at'), 'seen_token', ['expires_at'])
    op.create_table('rate_count',
                    sa.Column('bucket', sa.String(length=96), nullable=False),
                    sa.Column('minute', sa.BigInteger(), nullable=False),
                    sa.Column('replica', sa.String(length=64), nullable=False),
                    sa.Column('count', sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint('bucket', 'minute', 'replica',
                                            name=op.f('pk_rate_count')))


def downgrade() -> None:
    op.drop_table('rate_count')
    op.drop_index(op.f('ix_seen_token_expires_at'), table_name='seen_token')
    op.drop_table('seen_token')
