from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.db import insert_for
from app.guards.models import RateCount, SeenToken


def first_sight(session: Session, kind: str, token: str, *, now: datetime,
                expires_at: datetime) -> bool:
    """Remember ``token`` until ``expires_at``; False when it was already remembered (and
    has not expired): a replay. One statement, so two replicas cannot both see it first."""
    session.execute(delete(SeenToken).where(SeenToken.kind == kind, SeenToken.token == token,
                                            SeenToken.expires_at <= now))
    inserted = session.execute(
        insert_for(session, SeenToken).values(kind=kind, token=token, expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["kind", "token"]))
    return bool(getattr(inserted, "rowcount", 0))


def forget_expired(session: Session, now: datetime) -> None:
    session.execute(delete(SeenToken).where(SeenToken.expires_at <= now))


def add_counts(session: Session, replica: str, minute: int,
               counts: dict[tuple[str, str], int]) -> None:
    """Add this replica's counts for ``minute`` (one statement per bucket batch)."""
    if counts:
        rows = [{"bucket": f"{kind}:{name}", "minute": minute, "replica": replica,
                 "count": count} for (kind, name), count in counts.items()]
        statement = insert_for(session, RateCount).values(rows)
        session.execute(statement.on_conflict_do_update(
            index_elements=["bucket", "minute", "replica"],
            set_={"count": RateCount.count + statement.excluded.count}))
    session.execute(delete(RateCount).where(RateCount.minute < minute - 1))


def others_counts(session: Session, replica: str, minute: int) -> dict[tuple[str, str], int]:
    """The other replicas' counts for ``minute``, per bucket."""
    rows = session.execute(
        select(RateCount.bucket, func.sum(RateCount.count))
        .where(RateCount.minute == minute, RateCount.replica != replica)
        .group_by(RateCount.bucket))
    found: dict[tuple[str, str], int] = {}
    for bucket, count in rows:
        kind, _, name = str(bucket).partition(":")
        found[(kind, name)] = int(count or 0)
    return found
