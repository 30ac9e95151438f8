"""owner_names_per_language: the owner's name and signature per reply language

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 15:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('owner') as batch:
        batch.add_column(sa.Column('names', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=True))
        batch.add_column(sa.Column('signatures', sa.JSON().with_variant(sa.JSON(none_as_null=True), 'postgresql'), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('owner') as batch:
        batch.drop_column('signatures')
        batch.drop_column('names')
