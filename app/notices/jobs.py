"""The scheduled jobs. Each is idempotent: running it twice does no more than once."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.db import session_scope
from app.logs import log
from app.notices import service
from app.owners import repository as owners
from app.windows.computed import rematerialise_many


def materialise_all(sessions: sessionmaker[Session]) -> int:
    """Refresh every owner's computed windows (daily): the 13-month horizon moves on."""
    with session_scope(sessions) as session:
        ids = owners.all_ids(session)
    count = 0
    for start in range(0, len(ids), 200):
        with session_scope(sessions) as session:
            batch = owners.many(session, ids[start:start + 200])
            moved = rematerialise_many(session, batch)
            if moved:
                service.queue_corrections(session, moved)
            count += len(batch)
    log.info("windows materialised", owners=count)
    return count


def _queue(sessions: sessionmaker[Session], job: Callable[[Session, datetime], int],
           what: str) -> int:
    with session_scope(sessions) as session:
        queued = job(session, clock.now())
    if queued:
        log.info(f"{what} queued", count=queued)
    return queued


def advance_notices(sessions: sessionmaker[Session], *, batch: int = service.BATCH,
                    pause: float = 0.0) -> int:
    """Advance notices due now, ``batch`` clients per transaction: an interrupted run
    (a crash, the leader gone) leaves what it committed, and the next run — here or on the
    next leader — goes on from there (a client who has the notice is not planned again;
    its delivery key would refuse a second one anyway). ``pause`` seconds pass between
    two batches (``IJAZA_NOTICE_PAUSE_SECONDS``)."""
    now = clock.now()
    with session_scope(sessions) as session:
        due = service.notice_windows(session, now)
    queued = 0
    for window_id in due:
        after: str | None = None
        while True:
            with session_scope(sessions) as session:
                count, after = service.notify_audience_batch(session, window_id, now,
                                                             after=after, batch=batch)
            queued += count
            if after is None:
                break
            if pause:
                time.sleep(pause)
    if queued:
        log.info("advance notices queued", count=queued)
    return queued


def back_digests(sessions: sessionmaker[Session]) -> int:
    return _queue(sessions, service.send_back_digests, "digests")


def back_messages(sessions: sessionmaker[Session]) -> int:
    """``tell_back`` for every window that just ended, a transaction per window."""
    now = clock.now()
    with session_scope(sessions) as session:
        ended = service.back_windows(session, now)
    queued = 0
    for window_id in ended:
        with session_scope(sessions) as session:
            queued += service.tell_back(session, window_id, now)
    if queued:
        log.info("back-from-leave messages queued", count=queued)
    return queued
