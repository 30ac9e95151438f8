from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.db import insert_for
from app.guards.models import RateCount, SeenToken


def first_sight(session: Session, kind: str, token: str, digest: str, *, now: datetime,
                expires_at: datetime) -> bool:
    """Remember ``token`` (with the digest of what it came with) until ``expires_at``;
    False when it is already remembered with another digest: a replay (the same delivery
    again is a platform's retry, left to the dedupe key). Two replicas cannot both see a
    token first: the second insert waits on the primary key and then finds it."""
    session.execute(delete(SeenToken).where(SeenToken.kind == kind, SeenToken.token == token,
                                            SeenToken.expires_at <= now))
    session.execute(
        insert_for(session, SeenToken).values(kind=kind, token=token, digest=digest,
                                              expires_at=expires_at)
        .on_conflict_do_nothing(index_elements=["kind", "token"]))
    stored = session.scalar(select(SeenToken.digest).where(SeenToken.kind == kind,
                                                           SeenToken.token == token))
    return stored == digest


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
