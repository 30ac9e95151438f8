"""The owner's console: server-side sessions (hashed tokens); the owner's choice of a public
page and of showing the urgent contact on it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import app.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('owner') as batch:
        batch.add_column(sa.Column('public_page', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
        batch.add_column(sa.Column('urgent_contact_public', sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    # The demo owner keeps the page it had before the setting existed.
    op.execute(sa.text("UPDATE owner SET public_page = :yes WHERE id = 'demo'")
               .bindparams(yes=True))
    op.create_table('console_session',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['key_id'], ['api_key.id'], name=op.f('fk_console_session_key_id_api_key'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_session')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_console_session_token_digest'))
    )
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_session_key_id'), ['key_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_session_key_id'))
    op.drop_table('console_session')
    with op.batch_alter_table('owner') as batch:
        batch.drop_column('urgent_contact_public')
        batch.drop_column('public_page')
