"""Ijaza with one change, for ``bench/whatif.py`` — measured what-ifs, never served for real.

``BENCH_WHATIF`` picks the change:

* ``gate``: one ``anyio.Lock`` around every HTTP request except ``/healthz``, taken on the
  event loop *before* the request needs a worker thread. With one process on SQLite the
  transactions are serialised anyway (``BEGIN IMMEDIATE``); the gate makes them queue on
  the event loop instead of in 40 threads that poll SQLite's busy handler.
* ``deferred``: plain ``BEGIN`` instead of ``BEGIN IMMEDIATE`` (what read-only requests
  could use). Valid for the GET measurements only: concurrent writers could then fail
  with SQLITE_BUSY.
* anything else: the app unchanged.

    BENCH_WHATIF=gate uvicorn whatif_app:app --app-dir bench
"""

from __future__ import annotations

import os
from typing import Any

import anyio
from sqlalchemy import event

import app.db as ijaza_db
import app.main as ijaza_main

WHATIF = os.environ.get("BENCH_WHATIF", "")

if WHATIF == "deferred":
    _make_engine = ijaza_db.make_engine

    def make_engine(url: str, *, echo: bool = False) -> Any:
        engine = _make_engine(url, echo=echo)
        if url.startswith("sqlite"):
            for listener in list(engine.dispatch.begin):
                event.remove(engine, "begin", listener)

            @event.listens_for(engine, "begin")
            def _deferred_begin(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN")

        return engine

    ijaza_main.make_engine = make_engine

ijaza = ijaza_main.create_app()


def _gated(inner: Any) -> Any:
    lock = anyio.Lock()

    async def gated(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] != "/healthz":
            async with lock:
                await inner(scope, receive, send)
        else:
            await inner(scope, receive, send)

    return gated


app = _gated(ijaza) if WHATIF == "gate" else ijaza
