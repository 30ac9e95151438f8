from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import add, remove  # noqa: F401 - the writes every repository has
from app.owners.models import Owner


def get(session: Session, owner_id: str) -> Owner | None:
    return session.get(Owner, owner_id)


def page(session: Session, *, limit: int, after: str | None,
         only: str | None = None) -> list[Owner]:
    stmt = select(Owner).order_by(Owner.id).limit(limit + 1)
    if after is not None:
        stmt = stmt.where(Owner.id > after)
    if only is not None:
        stmt = stmt.where(Owner.id == only)
    return list(session.scalars(stmt))


def all_ids(session: Session) -> list[str]:
    return list(session.scalars(select(Owner.id).order_by(Owner.id)))


def many(session: Session, ids: list[str]) -> list[Owner]:
    return list(session.scalars(select(Owner).where(Owner.id.in_(ids)).order_by(Owner.id)))

