"""The outbox: deliveries are written with the decision that wants them and sent later by
the relay. Enqueueing is idempotent on the delivery's key."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.db import core, insert_many
from app.errors import Conflict, NotFound
from app.outbox import repository
from app.outbox.models import Delivery


def enqueue(session: Session, *, owner_id: str, channel_id: str | None, platform: str,
            kind: str, key: str, payload: dict[str, Any], now: datetime,
            event_id: int | None = None) -> Delivery:
    """A new pending delivery, or the existing one with the same key (never two)."""
    existing = repository.by_key(session, key)
    if existing is not None:
        return existing
    session.flush()
    enqueue_many(session, [pending(owner_id=owner_id, channel_id=channel_id, platform=platform,
                                   kind=kind, key=key, payload=payload, now=now,
                                   event_id=event_id)])
    found = repository.by_key(session, key)
    assert found is not None
    return found


def pending(*, owner_id: str, channel_id: str | None, platform: str, kind: str, key: str,
            payload: dict[str, Any], now: datetime, event_id: int | None) -> dict[str, Any]:
    """A delivery row for ``enqueue_many``."""
    return {"owner_id": owner_id, "channel_id": channel_id, "platform": platform, "kind": kind,
            "idempotency_key": key, "payload": payload, "status": "pending", "attempts": 0,
            "next_attempt_at": now, "event_id": event_id, "created_at": now}


def enqueue_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert deliveries in one statement; a key already queued is left as it is."""
    insert_many(core(session), Delivery.__table__, rows, skip_key="idempotency_key")


def retry(session: Session, owner_id: str, delivery_id: int, now: datetime) -> Delivery:
    row = repository.get(session, owner_id, delivery_id)
    if row is None:
        raise NotFound(f"No delivery {delivery_id}.")
    if row.status not in ("dead", "pending"):
        raise Conflict(f"Delivery {delivery_id} is {row.status}; only dead deliveries are retried.")
    row.status = "pending"
    row.next_attempt_at = now
    row.claimed_until = None
    row.claimed_by = None
    row.attempts = 0
    session.flush()
    return row
