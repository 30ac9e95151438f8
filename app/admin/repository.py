"""Console sessions: the queries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.admin.models import ConsoleSession
from app.db import add  # noqa: F401 - the write every repository has


def by_token_digest(session: Session, wanted: str) -> ConsoleSession | None:
    return session.scalars(
        select(ConsoleSession).where(ConsoleSession.token_digest == wanted)).first()


def drop_expired(session: Session, now: datetime) -> None:
    """Sessions past their end are useless: no table that grows with every sign-in."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
