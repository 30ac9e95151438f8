from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.country_calendar.models import Confirmation
from app.db import add, remove  # noqa: F401 - the writes every repository has
from app.decisions.models import TOLD_DATES, EventRow
from app.owners.models import Owner
from app.windows.models import WindowRow


def active_confirmations(session: Session, country: str) -> dict[tuple[str, int], date]:
    rows = session.execute(
        select(Confirmation.occasion, Confirmation.hijri_year, Confirmation.date)
        .where(Confirmation.country == country, Confirmation.withdrawn_at.is_(None))
        .order_by(Confirmation.id)
    )
    return {(r.occasion, r.hijri_year): r.date for r in rows}


def active_confirmation(session: Session, country: str, occasion: str,
                        hijri_year: int) -> Confirmation | None:
    return session.scalars(
        select(Confirmation).where(
            Confirmation.country == country, Confirmation.occasion == occasion,
            Confirmation.hijri_year == hijri_year, Confirmation.withdrawn_at.is_(None))
    ).first()


def page(session: Session, country: str, *, limit: int, after: int | None,
         include_withdrawn: bool) -> list[Confirmation]:
    stmt = select(Confirmation).where(Confirmation.country == country)
    if not include_withdrawn:
        stmt = stmt.where(Confirmation.withdrawn_at.is_(None))
    if after is not None:
        stmt = stmt.where(Confirmation.id > after)
    return list(session.scalars(stmt.order_by(Confirmation.id).limit(limit + 1)))


def _near(country: str, around: datetime, days: int, after: str | None = None) -> Any:
    lo, hi = around - timedelta(days=days), around + timedelta(days=days)
    # EXISTS, narrowed to the owners after ``after`` on both sides: PostgreSQL then walks
    # the owner and window indexes from there and stops at the batch's end, instead of
    # gathering every owner with such a window for every batch.
    windows = select(WindowRow.id).where(
        WindowRow.owner_id == Owner.id, WindowRow.source != "manual",
        WindowRow.ends_at > lo, WindowRow.starts_at < hi)
    if after is None:
        return (Owner.country == country, windows.exists())
    return (Owner.country == country, Owner.id > after,
            windows.where(WindowRow.owner_id > after).exists())


def owners_near(session: Session, country: str, around: datetime, days: int = 45, *,
                after: str | None = None, limit: int | None = None) -> list[str]:
    """The ids of a country's owners with computed windows within ``days`` of an instant,
    in order: ``limit`` of them after the id ``after``."""
    stmt = select(Owner.id).where(*_near(country, around, days, after))
    return list(session.scalars(stmt.order_by(Owner.id).limit(limit)))


def count_owners_near(session: Session, country: str, around: datetime,
                      days: int = 45) -> int:
    return session.scalar(select(func.count()).select_from(Owner)
                          .where(*_near(country, around, days))) or 0


def told_counts(session: Session, owner_ids: list[str]) -> dict[str, int]:
    """Per owner, how many answers gave a client a window's dates (any window: at most that
    many corrections can follow a re-plan); owners with none are absent."""
    rows = session.execute(
        select(EventRow.owner_id, func.count()).where(
            EventRow.owner_id.in_(owner_ids), EventRow.replied_at.is_not(None),
            EventRow.client_key.is_not(None), EventRow.situation.in_(TOLD_DATES))
        .group_by(EventRow.owner_id)).tuples()
    return {owner_id: count for owner_id, count in rows}


REPLANNING = ("applying", "withdrawing")


def replanning_ids(session: Session) -> list[int]:
    """Confirmations whose re-planning is not finished, oldest first."""
    return list(session.scalars(select(Confirmation.id)
                                .where(Confirmation.status.in_(REPLANNING))
                                .order_by(Confirmation.id)))


def lock_confirmation(session: Session, confirmation_id: int) -> Confirmation | None:
    """The confirmation, locked until the transaction ends (PostgreSQL; SQLite's writer
    lock serialises anyway): two processes never re-plan the same batch at once."""
    return session.scalars(select(Confirmation).where(Confirmation.id == confirmation_id)
                           .with_for_update()).first()


def confirmation(session: Session, confirmation_id: int) -> Confirmation | None:
    return session.get(Confirmation, confirmation_id)

