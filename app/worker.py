"""Background work: the outbox relay and the scheduler.

``ijaza worker`` runs them in their own process; in ``make run`` they run inside the
server process. Relays may run in every replica (rows are claimed with ``FOR UPDATE SKIP
LOCKED``); every process that runs the scheduler is a candidate for its leadership and
only the leader runs jobs (``app.leader``).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from fastapi import FastAPI

from app import logs
from app.db import make_engine, make_session_factory
from app.leader import Leadership
from app.notices.scheduler import run_scheduler
from app.outbox.relay import run_relay
from app.targets import outbound_client


async def start_background(app: FastAPI) -> list[asyncio.Task[Any]]:
    tasks: list[asyncio.Task[Any]] = []
    settings = app.state.settings
    if settings.run_relay_in_server:
        tasks.append(asyncio.create_task(
            run_relay(app.state.sessions, app.state.http, settings), name="relay"))
    if settings.run_scheduler_in_server:
        app.state.leadership = Leadership(app.state.engine, role="serve")
        tasks.append(asyncio.create_task(
            run_scheduler(app.state.sessions, app.state.leadership, settings),
            name="scheduler"))
    return tasks


async def run_worker(settings: Any) -> None:
    """``ijaza worker``: the relay and the scheduler, without the HTTP server."""
    logs.configure(settings.log_level, json=settings.log_json)
    if settings.worker_nice:
        os.nice(settings.worker_nice)
    engine = make_engine(settings.database_url,
                         connect_timeout=settings.database_connect_timeout_seconds,
                         statement_timeout=settings.database_statement_timeout_seconds)
    sessions = make_session_factory(engine)
    async with outbound_client(allow_private=settings.allow_private_targets,
                               timeout=settings.send_timeout_seconds) as http:
        await asyncio.gather(run_relay(sessions, http, settings),
                             run_scheduler(sessions, Leadership(engine, role="worker"),
                                           settings))
