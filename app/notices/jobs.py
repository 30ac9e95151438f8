"""The scheduled jobs. Each is idempotent: running it twice does no more than once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.db import session_scope
from app.logs import log
from app.notices import service
from app.owners.models import Owner


def materialise_all(sessions: sessionmaker[Session]) -> int:
    """Refresh every owner's computed windows (daily): the 13-month horizon moves on."""
    from app.windows.service import rematerialise

    with session_scope(sessions) as session:
        ids = list(session.scalars(select(Owner.id).order_by(Owner.id)))
    count = 0
    for start in range(0, len(ids), 200):
        with session_scope(sessions) as session:
            for owner in session.scalars(select(Owner).where(Owner.id.in_(ids[start:start + 200]))):
                moved = rematerialise(session, owner)
                if moved:
                    service.queue_corrections(session, moved)
                count += 1
    log.info("windows materialised", owners=count)
    return count


def advance_notices(sessions: sessionmaker[Session]) -> int:
    with session_scope(sessions) as session:
        sent = service.send_advance_notices(session, clock.now())
    if sent:
        log.info("advance notices queued", count=sent)
    return sent


def back_digests(sessions: sessionmaker[Session]) -> int:
    with session_scope(sessions) as session:
        sent = service.send_back_digests(session, clock.now())
    if sent:
        log.info("digests queued", count=sent)
    return sent
