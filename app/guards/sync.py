"""Shares the rate limiter's counts with the other replicas, about once a second."""

from __future__ import annotations

import asyncio
import os
import secrets

from sqlalchemy.orm import Session, sessionmaker

from app.db import session_scope
from app.guards import repository
from app.limits import RateLimiter
from app.logs import log

SYNC_SECONDS = 1.0


def _exchange(sessions: sessionmaker[Session], limiter: RateLimiter, replica: str) -> None:
    minute, unsent = limiter.take_unsent()
    with session_scope(sessions) as session:
        repository.add_counts(session, replica, minute, unsent)
        others = repository.others_counts(session, replica, minute)
    limiter.absorb(minute, others)


async def share_counts(sessions: sessionmaker[Session], limiter: RateLimiter) -> None:
    """Run until cancelled: add this replica's counts, read the others'."""
    replica = f"{os.getpid()}-{secrets.token_hex(3)}"
    while True:
        try:
            await asyncio.to_thread(_exchange, sessions, limiter, replica)
        except Exception as exc:  # noqa: BLE001 — the limits hold per replica meanwhile
            log.warning("rate counts not shared", error=type(exc).__name__)
        await asyncio.sleep(SYNC_SECONDS)
