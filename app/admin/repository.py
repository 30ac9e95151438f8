"""Console sessions: the queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.admin.models import ConsoleSession, ConsoleSignInFailure
from app.db import add  # noqa: F401 - the write every repository has


def by_token_digest(session: Session, wanted: str) -> ConsoleSession | None:
    return session.scalars(
        select(ConsoleSession).where(ConsoleSession.token_digest == wanted)).first()


def drop_expired(session: Session, now: datetime) -> None:
    """Sessions past their end are useless: no table that grows with every sign-in."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))


def recent_failures(session: Session, client: str, since: datetime, limit: int
                    ) -> list[datetime]:
    """The newest ``limit`` failed sign-ins of ``client`` after ``since``, newest first."""
    return list(session.scalars(
        select(ConsoleSignInFailure.failed_at)
        .where(ConsoleSignInFailure.client == client, ConsoleSignInFailure.failed_at > since)
        .order_by(ConsoleSignInFailure.failed_at.desc()).limit(limit)))


def record_failure(session: Session, client: str, at: datetime, forget_before: datetime) -> None:
    """One more failure for ``client``; failures older than ``forget_before`` (everyone's)
    no longer count and are dropped, so the table holds one period's failures at most."""
    session.execute(delete(ConsoleSignInFailure)
                    .where(ConsoleSignInFailure.failed_at <= forget_before))
    session.add(ConsoleSignInFailure(client=client, failed_at=at))
    session.flush()


def forget_failures(session: Session, client: str) -> None:
    session.execute(delete(ConsoleSignInFailure).where(ConsoleSignInFailure.client == client))
