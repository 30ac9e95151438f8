"""Channel connections: the queries."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.connections.models import ChannelRow
from app.db import add, remove  # noqa: F401 - the writes every repository has


def get(session: Session, channel_id: str) -> ChannelRow | None:
    return session.get(ChannelRow, channel_id)


def many(session: Session, ids: Iterable[str]) -> list[ChannelRow]:
    """Channels by id, read with a statement per 500 (and kept in the session, so that
    ``get`` finds them without another read)."""
    wanted = sorted(set(ids))
    return [row for first in range(0, len(wanted), 500) for row in session.scalars(
        select(ChannelRow).where(ChannelRow.id.in_(wanted[first:first + 500])))]


def of_owner(session: Session, owner_id: str, channel_id: str) -> ChannelRow | None:
    """The owner's channel by id; None for another owner's."""
    row = session.get(ChannelRow, channel_id)
    return row if row is not None and row.owner_id == owner_id else None


def first_on(session: Session, owner_id: str, platform: str) -> ChannelRow | None:
    """The owner's first channel on ``platform`` (e.g. the email channel a delegate's copy
    goes through)."""
    return session.scalars(select(ChannelRow).where(
        ChannelRow.owner_id == owner_id, ChannelRow.platform == platform)
        .order_by(ChannelRow.id)).first()


def page(session: Session, owner_id: str, *, limit: int, after: str | None) -> list[ChannelRow]:
    stmt = select(ChannelRow).where(ChannelRow.owner_id == owner_id).order_by(ChannelRow.id)
    if after is not None:
        stmt = stmt.where(ChannelRow.id > after)
    return list(session.scalars(stmt.limit(limit + 1)))


def sealed(session: Session) -> list[ChannelRow]:
    """Every channel that holds encrypted secrets."""
    return list(session.scalars(select(ChannelRow).where(ChannelRow.sealed_secrets.is_not(None))))
