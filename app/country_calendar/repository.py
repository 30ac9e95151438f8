from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.country_calendar.models import Confirmation
from app.db import add, remove  # noqa: F401 - the writes every repository has
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


def owners_near(session: Session, country: str, around: datetime,
                days: int = 45) -> list[Owner]:
    """Owners of a country with computed windows within ``days`` of an instant."""
    lo, hi = around - timedelta(days=days), around + timedelta(days=days)
    ids = select(WindowRow.owner_id).distinct().where(
        WindowRow.source != "manual", WindowRow.ends_at > lo, WindowRow.starts_at < hi)
    return list(session.scalars(
        select(Owner).where(Owner.country == country, Owner.id.in_(ids)).order_by(Owner.id)))


def confirmation(session: Session, confirmation_id: int) -> Confirmation | None:
    return session.get(Confirmation, confirmation_id)

