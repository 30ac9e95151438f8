"""Re-planning after a confirmation or a withdrawal, off the request path: the country's
owners in batches, each batch its own short transaction, so that the intake keeps
deciding messages meanwhile (an owner's messages follow the new dates from the commit of
the batch that holds them; no message sees an owner half re-planned). Run by the
scheduler's leader every second, and by ``ijaza confirm``; resumes where a crash stopped
it."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from app.country_calendar import repository, service
from app.db import session_scope
from app.logs import log


def apply_pending(sessions: sessionmaker[Session], *, batch: int = 100,
                  only: int | None = None) -> int:
    """Finish every unfinished re-plan (or only confirmation ``only``); the batches run."""
    with session_scope(sessions) as session:
        pending = repository.replanning_ids(session)
    batches = 0
    for confirmation_id in pending:
        if only is not None and confirmation_id != only:
            continue
        more = True
        while more:
            with session_scope(sessions) as session:
                more = service.replan_batch(session, confirmation_id, batch=batch)
            batches += 1
        log.info("confirmation re-planned", confirmation=confirmation_id, batches=batches)
    return batches
