"""API keys: the queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import add  # noqa: F401 - the write every repository has
from app.keys.models import ApiKey


def get(session: Session, key_id: str) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def by_digest(session: Session, wanted: str) -> Any:
    """The columns authentication needs (a row), or None."""
    return session.execute(
        select(ApiKey.id, ApiKey.digest, ApiKey.admin, ApiKey.owner_id, ApiKey.revoked_at)
        .where(ApiKey.digest == wanted)
    ).first()


def page(session: Session, *, owner_id: str | None, limit: int,
         after: str | None) -> list[ApiKey]:
    """Keys by id (``limit + 1`` of them, for the next cursor); ``owner_id`` narrows."""
    stmt = select(ApiKey).order_by(ApiKey.id).limit(limit + 1)
    if owner_id is not None:
        stmt = stmt.where(ApiKey.owner_id == owner_id)
    if after is not None:
        stmt = stmt.where(ApiKey.id > after)
    return list(session.scalars(stmt))


def by_key_digest(session: Session, wanted: str) -> ApiKey | None:
    return session.scalars(select(ApiKey).where(ApiKey.digest == wanted)).first()


def live_named(session: Session, name: str, *, admin: bool, other_than: str) -> list[ApiKey]:
    """The keys of that name not revoked, but ``other_than``."""
    return list(session.scalars(select(ApiKey).where(
        ApiKey.name == name, ApiKey.admin.is_(admin), ApiKey.revoked_at.is_(None),
        ApiKey.id != other_than)))
