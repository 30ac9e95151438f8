"""The outbox relay alone in a process — ``Relay.run_forever`` with the ``IJAZA_*``
settings of its environment (the crash benchmark SIGKILLs and restarts it).

    IJAZA_DATABASE_URL=… IJAZA_RATE_LIMITS__SLACK=200 python bench/relay_worker.py
"""

from __future__ import annotations

import asyncio

import httpx

from app import logs
from app.db import make_engine, make_session_factory
from app.outbox.relay import Relay
from app.settings import Settings


async def run() -> None:
    settings = Settings()
    logs.configure(settings.log_level, json=settings.log_json)
    sessions = make_session_factory(make_engine(settings.database_url))
    async with httpx.AsyncClient(timeout=httpx.Timeout(settings.send_timeout_seconds)) as http:
        await Relay(sessions, http, settings).run_forever()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
