"""Background work: the outbox relay and the scheduler.

``ijaza worker`` runs them in their own process (the multi-replica setup: one worker
process runs the scheduler; relays may run in every replica because rows are claimed with
``FOR UPDATE SKIP LOCKED``). In ``make run`` they run inside the server process.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI


async def start_background(app: FastAPI) -> list[asyncio.Task[Any]]:
    tasks: list[asyncio.Task[Any]] = []
    settings = app.state.settings
    if settings.run_relay_in_server:
        try:
            from app.outbox.relay import run_relay
        except ModuleNotFoundError:
            run_relay = None
        if run_relay is not None:
            tasks.append(asyncio.create_task(
                run_relay(app.state.sessions, app.state.http, settings), name="relay"))
    if settings.run_scheduler_in_server:
        try:
            from app.notices.scheduler import run_scheduler
        except ModuleNotFoundError:
            run_scheduler = None
        if run_scheduler is not None:
            tasks.append(asyncio.create_task(
                run_scheduler(app.state.sessions, app.state.http, settings), name="scheduler"))
    return tasks
