from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from app.decisions.models import EventRow, OwnerActivity
from app.domain.decision import PastReply

HISTORY_LIMIT = 50


def past_replies(session: Session, owner_id: str, client_key: str) -> list[PastReply]:
    """The client's most recent automatic replies (bounded: cost does not grow with history)."""
    rows = session.execute(
        select(EventRow.replied_at, EventRow.situation, EventRow.window_id)
        .where(EventRow.owner_id == owner_id, EventRow.client_key == client_key,
               EventRow.replied_at.is_not(None))
        .order_by(EventRow.replied_at.desc())
        .limit(HISTORY_LIMIT)
    )
    return [PastReply(at=r.replied_at, situation=r.situation or "", window_id=r.window_id)
            for r in rows]


def owner_active(session: Session, owner_id: str, client_key: str | None, at: datetime) -> bool:
    cond = (OwnerActivity.client_key.is_(None))
    if client_key is not None:
        cond = cond | (OwnerActivity.client_key == client_key)
    return bool(session.scalar(select(exists().where(
        OwnerActivity.owner_id == owner_id, OwnerActivity.until > at,
        OwnerActivity.at <= at, cond))))


def by_dedupe(session: Session, owner_id: str, source: str, key: str) -> EventRow | None:
    return session.scalars(select(EventRow).where(
        EventRow.owner_id == owner_id, EventRow.source == source,
        EventRow.dedupe_key == key)).first()


def page(session: Session, owner_id: str, *, limit: int, after: int | None,
         client_key: str | None, since: datetime | None) -> list[EventRow]:
    stmt = select(EventRow).where(EventRow.owner_id == owner_id)
    if client_key is not None:
        stmt = stmt.where(EventRow.client_key == client_key)
    if since is not None:
        stmt = stmt.where(EventRow.at >= since)
    if after is not None:
        stmt = stmt.where(EventRow.id < after)
    return list(session.scalars(stmt.order_by(EventRow.id.desc()).limit(limit + 1)))
