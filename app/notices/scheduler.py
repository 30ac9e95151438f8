"""APScheduler in one process: jobs with explicit ids, ``replace_existing``, coalescing.

Run it in exactly one process per deployment (``ijaza worker``, or the server in
``make run``): the in-memory job store is not shared between processes.
"""

from __future__ import annotations

import asyncio
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.orm import Session, sessionmaker

from app import clock
from app.notices import jobs
from app.settings import Settings


def build_scheduler(sessions: sessionmaker[Session]) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC", job_defaults={"coalesce": True,
                                                                "max_instances": 1,
                                                                "misfire_grace_time": 3600})

    def threaded(fn: Any) -> Any:
        async def run() -> None:
            await asyncio.to_thread(fn, sessions)
        return run

    scheduler.add_job(threaded(jobs.materialise_all), "cron", hour=0, minute=15,
                      id="materialise", replace_existing=True)
    scheduler.add_job(threaded(jobs.materialise_all), "date", run_date=clock.now(),
                      id="materialise-at-start", replace_existing=True)
    scheduler.add_job(threaded(jobs.advance_notices), "interval", minutes=15,
                      id="advance-notices", replace_existing=True)
    scheduler.add_job(threaded(jobs.back_digests), "interval", minutes=15,
                      id="back-digests", replace_existing=True)
    scheduler.add_job(threaded(jobs.back_messages), "interval", minutes=15,
                      id="back-messages", replace_existing=True)
    return scheduler


async def run_scheduler(sessions: sessionmaker[Session], _http: Any, _settings: Settings) -> None:
    scheduler = build_scheduler(sessions)
    scheduler.start()
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)
