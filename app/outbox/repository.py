from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from app.db import insert_for
from app.outbox.models import Delivery, DeliveryAttempt, RelayPresence


def get(session: Session, owner_id: str, delivery_id: int) -> Delivery | None:
    """The owner's delivery; None for another owner's."""
    row = session.get(Delivery, delivery_id)
    return row if row is not None and row.owner_id == owner_id else None


def by_key(session: Session, key: str) -> Delivery | None:
    return session.scalars(select(Delivery).where(Delivery.idempotency_key == key)).first()


def claim(session: Session, *, platform: str, now: datetime, limit: int, hold: timedelta,
          worker: str) -> list[Delivery]:
    """Take up to ``limit`` due rows of one platform for this worker.

    Due: pending and its time has come, or ``sending`` whose claim ran out (the worker that
    held it died). PostgreSQL skips rows another worker holds (``SKIP LOCKED``); SQLite
    serialises writers, so the same select-then-update is safe there too.
    """
    stmt = (select(Delivery)
            .where(Delivery.platform == platform,
                   or_((Delivery.status == "pending") & (Delivery.next_attempt_at <= now),
                       (Delivery.status == "sending") & (Delivery.claimed_until < now)))
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(session.scalars(stmt))
    for row in rows:
        row.status = "sending"
        row.claimed_until = now + hold
        row.claimed_by = worker
    session.flush()
    return rows


def due_platforms(session: Session, now: datetime) -> list[str]:
    return list(session.scalars(
        select(Delivery.platform).where(
            or_((Delivery.status == "pending") & (Delivery.next_attempt_at <= now),
                (Delivery.status == "sending") & (Delivery.claimed_until < now)))
        .distinct()))


def still_mine_many(session: Session, delivery_ids: list[int], worker: str
                    ) -> dict[int, Delivery]:
    """The rows among ``delivery_ids`` this worker still holds the claim of (locked on
    PostgreSQL), by id: one statement for the outcomes of many sends."""
    stmt = select(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == "sending",
                                  Delivery.claimed_by == worker).order_by(Delivery.id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return {row.id: row for row in session.scalars(stmt)}


def add_attempt(session: Session, attempt: DeliveryAttempt) -> None:
    session.add(attempt)


def page(session: Session, owner_id: str, *, status: str | None, limit: int,
         after: int | None) -> list[Delivery]:
    stmt = select(Delivery).where(Delivery.owner_id == owner_id)
    if status is not None:
        stmt = stmt.where(Delivery.status == status)
    if after is not None:
        stmt = stmt.where(Delivery.id < after)
    return list(session.scalars(stmt.order_by(Delivery.id.desc()).limit(limit + 1)))


def attempts_of(session: Session, delivery_id: int) -> list[DeliveryAttempt]:
    return list(session.scalars(select(DeliveryAttempt).where(
        DeliveryAttempt.delivery_id == delivery_id).order_by(DeliveryAttempt.id)))


def announce(session: Session, worker: str, now: datetime, alive: timedelta) -> int:
    """Record that ``worker`` is running; how many relays (it included) were seen within
    ``alive``. Relays silent for much longer are forgotten."""
    session.execute(insert_for(session, RelayPresence).values(worker=worker, seen_at=now)
                    .on_conflict_do_update(index_elements=["worker"], set_={"seen_at": now}))
    session.execute(delete(RelayPresence).where(RelayPresence.seen_at < now - 10 * alive))
    running = session.scalar(select(func.count()).select_from(RelayPresence).where(
        RelayPresence.seen_at >= now - alive))
    return max(1, running or 0)


def withdraw(session: Session, worker: str) -> None:
    session.execute(delete(RelayPresence).where(RelayPresence.worker == worker))
