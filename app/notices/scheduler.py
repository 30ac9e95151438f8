"""APScheduler in the one process that leads: jobs with explicit ids,
``replace_existing``, coalescing.

Any number of processes may run ``run_scheduler``; only the holder of the leadership
(``app.leader``) runs the jobs, so the in-memory job store never has a twin elsewhere.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.country_calendar import replan
from app.leader import Leadership
from app.notices import jobs
from app.settings import Settings


def build_scheduler(sessions: sessionmaker[Session], settings: Settings | None = None
                    ) -> AsyncIOScheduler:
    settings = settings or Settings()
    scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"coalesce": True,
                                                                "max_instances": 1,
                                                                "misfire_grace_time": 3600})

    def threaded(fn: Any) -> Any:
        async def run() -> None:
            await asyncio.to_thread(fn, sessions)
        return run

    # A new leader runs the periodic jobs at once: one that took over from a leader that
    # died mid-run finishes its work now, not a quarter of an hour later.
    started = clock.now()
    scheduler.add_job(threaded(jobs.materialise_all), "cron", hour=0, minute=15,
                      id="materialise", replace_existing=True)
    scheduler.add_job(threaded(jobs.materialise_all), "date", run_date=started,
                      id="materialise-at-start", replace_existing=True)
    every = {"seconds": settings.broadcast_every_seconds, "next_run_time": started}
    notices = functools.partial(jobs.advance_notices, batch=settings.notice_batch,
                                pause=settings.notice_pause_seconds)
    scheduler.add_job(threaded(notices), "interval", **every,
                      id="advance-notices", replace_existing=True)
    scheduler.add_job(threaded(jobs.back_digests), "interval", **every,
                      id="back-digests", replace_existing=True)
    scheduler.add_job(threaded(jobs.back_messages), "interval", **every,
                      id="back-messages", replace_existing=True)
    # Confirmations and withdrawals are recorded by whichever process took the request;
    # the leader re-plans their owners in batches (and finishes one a crash interrupted).
    replans = functools.partial(replan.apply_pending, batch=settings.replan_batch)
    scheduler.add_job(threaded(replans), "interval",
                      seconds=REPLAN_POLL_SECONDS, id="calendar-replan",
                      replace_existing=True, misfire_grace_time=30)
    return scheduler


REPLAN_POLL_SECONDS = 1.0


async def run_scheduler(sessions: sessionmaker[Session], leadership: Leadership,
                        settings: Settings) -> None:
    """Campaign for the leadership; run the jobs while this process holds it."""

    async def run_jobs() -> None:
        scheduler = build_scheduler(sessions, settings)
        scheduler.start()
        try:
            await asyncio.Event().wait()
        finally:
            scheduler.shutdown(wait=False)

    await leadership.lead(run_jobs)
