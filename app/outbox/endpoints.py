from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app import clock
from app.deps import PrincipalDep, SessionDep
from app.errors import NotFound
from app.outbox import repository, service
from app.owners.service import visible_owner
from app.pagination import CursorQuery, LimitQuery, Page, decode_cursor, page_of

router = APIRouter(prefix="/v1/owners/{owner_id}/deliveries", tags=["deliveries"])


class AttemptOut(BaseModel):
    at: datetime
    ok: bool
    permanent: bool
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(BaseModel):
    id: int
    kind: str
    platform: str
    channel_id: str | None
    event_id: int | None
    status: Literal["pending", "sending", "sent", "dead"]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    to: str | None
    text: str | None
    history: list[AttemptOut] = []


def _out(row: Any, history: list[Any] | None = None) -> DeliveryOut:
    payload = row.payload or {}
    return DeliveryOut(
        id=row.id, kind=row.kind, platform=row.platform, channel_id=row.channel_id,
        event_id=row.event_id, status=row.status, attempts=row.attempts,
        next_attempt_at=row.next_attempt_at, last_error=row.last_error,
        created_at=row.created_at, sent_at=row.sent_at, to=payload.get("to"),
        text=payload.get("text"),
        history=[AttemptOut(at=a.at, ok=a.ok, permanent=a.permanent, status_code=a.status_code,
                            error=a.error, duration_ms=a.duration_ms) for a in history or []])


@router.get("", response_model=Page[DeliveryOut], summary="The outbox, newest first")
def list_deliveries(
    owner_id: str, session: SessionDep, principal: PrincipalDep,
    status: Annotated[Literal["pending", "sending", "sent", "dead"] | None, Query()] = None,
    limit: LimitQuery = 50, cursor: CursorQuery = None,
) -> Page[DeliveryOut]:
    owner = visible_owner(session, principal, owner_id)
    after = decode_cursor(cursor)
    rows = repository.page(session, owner.id, status=status, limit=limit,
                           after=after if isinstance(after, int) else None)
    return page_of(rows, limit, item=lambda r: _out(r),
                   cursor=lambda r: r.id)


@router.get("/{delivery_id}", response_model=DeliveryOut)
def get_delivery(owner_id: str, delivery_id: int, session: SessionDep,
                 principal: PrincipalDep) -> DeliveryOut:
    owner = visible_owner(session, principal, owner_id)
    row = repository.get(session, owner.id, delivery_id)
    if row is None:
        raise NotFound(f"No delivery {delivery_id}.")
    return _out(row, repository.attempts_of(session, row.id))


@router.post("/{delivery_id}/retry", response_model=DeliveryOut,
             summary="Send a dead delivery again")
def retry_delivery(owner_id: str, delivery_id: int, session: SessionDep,
                   principal: PrincipalDep) -> DeliveryOut:
    owner = visible_owner(session, principal, owner_id)
    return _out(service.retry(session, owner.id, delivery_id, clock.now()))
