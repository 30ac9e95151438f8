"""The application factory: routers, error mapping, and the lifespan that owns the engine,
the one shared HTTP client, and (in ``make run``) the outbox relay and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app import docs, errors, logs
from app.admin import endpoints as console
from app.connections.endpoints import router as channels
from app.contacts.endpoints import router as contacts
from app.country_calendar.endpoints import router as calendar
from app.crypto import SecretBox
from app.db import WalCheckpointer, make_engine, make_session_factory
from app.decisions.endpoints import documented as evaluate_documented
from app.decisions.endpoints import evaluate_route
from app.decisions.endpoints import router as decisions
from app.guards.sync import share_counts
from app.inbound.endpoints import documented as hook_documented
from app.inbound.endpoints import hook_route
from app.inbound.recorder import Recorder
from app.keys.endpoints import router as keys
from app.limits import RateLimiter
from app.middleware import MAX_HEADER, MAX_HEADERS, RequestContext
from app.notices.endpoints import router as digest
from app.ops.endpoints import router as ops
from app.outbox.endpoints import router as deliveries
from app.owners.endpoints import router as owners
from app.pages.endpoints import router as pages
from app.rules.endpoints import router as rules
from app.settings import Settings, get_settings
from app.targets import outbound_client
from app.templates.endpoints import router as templates
from app.windows.endpoints import router as windows
from app.worker import start_background

DESCRIPTION = """
Ijaza (إجازة) answers your clients while you are away — Eid al-Fitr, Eid al-Adha, Ramadan
hours, national holidays and your own leave — computed from the Umm al-Qura calendar and
each country's public holidays. Authenticate with `Authorization: Bearer <key>`.
Errors are `application/problem+json` (RFC 9457).
"""


def create_app(settings: Settings | None = None, *, background: bool | None = None) -> FastAPI:
    """The app; ``background`` runs the relay and the scheduler in it (default: outside
    tests)."""
    settings = settings or get_settings()
    logs.configure(settings.log_level, json=settings.log_json)
    engine = make_engine(settings.database_url,
                         connect_timeout=settings.database_connect_timeout_seconds,
                         statement_timeout=settings.database_statement_timeout_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.http = outbound_client(allow_private=settings.allow_private_targets,
                                         timeout=settings.send_timeout_seconds)
        checkpointer = WalCheckpointer.for_engine(engine)
        if checkpointer is not None:
            checkpointer.start()
        app.state.checkpointer = checkpointer
        tasks: list[asyncio.Task[Any]] = []
        run_background = settings.env != "test" if background is None else background
        if run_background:
            tasks = await start_background(app)
        limiter = app.state.limiter
        if engine.dialect.name == "postgresql" and limiter is not None:
            tasks.append(asyncio.create_task(share_counts(app.state.sessions, limiter),
                                             name="rate-counts"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await app.state.http.aclose()
            if checkpointer is not None:
                await anyio.to_thread.run_sync(checkpointer.stop)

    # The message intake first: the routes every message comes through are matched first.
    app = Ijaza(title="Ijaza", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                routes=[evaluate_route, hook_route],
                docs_url=None, redoc_url=None,  # app.docs serves /docs offline
                # Metrics are Prometheus (/metrics); FastAPI's OpenTelemetry hooks would
                # only look for a provider on every request.
                telemetry={"tracing": False, "metrics": False, "logs": False})
    app.access_log = settings.env != "test"
    app.max_header, app.max_headers = settings.max_header_bytes, settings.max_headers_bytes
    app.limiter = app.state.limiter = (
        RateLimiter(per_key=settings.key_requests_per_minute,
                    per_channel=settings.channel_requests_per_minute)
        if settings.key_requests_per_minute or settings.channel_requests_per_minute else None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_session_factory(engine)
    app.state.secret_box = SecretBox(settings.secret_key)
    app.state.db_lock = anyio.Lock() if engine.dialect.name == "sqlite" else None
    # /readyz's own threads: under load every token of the shared pool is a request's, and
    # a probe queued behind them would take a busy replica for a dead one.
    app.state.probe_threads = anyio.CapacityLimiter(2)
    # GET /v1/calendar/{country}: encoded answers, (country, year, today, changes) → (at, body, etag)
    app.state.calendars = {}
    app.state.shared_reads = {}  # deps.in_own_session(share=…): the reads running now
    app.state.recorder = Recorder(app.state.sessions, app.state.secret_box, app.state.db_lock,
                                  engine.pool, lanes=settings.intake_lanes)
    errors.install(app)
    docs.install(app)
    _include_routers(app)
    console.install(app)
    return app


class Ijaza(FastAPI):
    """FastAPI with the request context (request id, log line, body limit) outside its own
    layers, so that every response, a 500 too, carries its request id; and /docs showing
    the intake routes, which are Starlette routes, from their declarations."""

    access_log = True
    max_header = MAX_HEADER
    max_headers = MAX_HEADERS
    limiter: RateLimiter | None = None

    def build_middleware_stack(self) -> Any:
        return RequestContext(super().build_middleware_stack(), access_log=self.access_log,
                              max_header=self.max_header, max_headers=self.max_headers,
                              limiter=self.limiter)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = with_problems(get_openapi(
                title=self.title, version=self.version, description=self.description,
                routes=[*self.routes, *evaluate_documented.routes, *hook_documented.routes]))
        return self.openapi_schema


PROBLEM_SCHEMA = {
    "type": "object", "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                   "status": {"type": "integer"}, "detail": {"type": "string"},
                   "errors": {"type": "array", "items": {"type": "object", "properties": {
                       "field": {"type": "string"}, "message": {"type": "string"}}}}},
}
PROBLEMS = {"400": "Malformed request", "401": "Missing, unknown or revoked key",
            "404": "No such resource (or not this key's)", "409": "Conflict",
            "413": "Body over 1 MiB", "422": "Invalid input", "429": "Rate limit (Retry-After)",
            "431": "Headers too large"}


def with_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with every operation's problem+json answers listed (the edge's
    limits answer any operation with 413/422/429/431; the validation 422 is a problem too)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for code, description in PROBLEMS.items():
                if code == "409" and method not in ("post", "put", "patch", "delete"):
                    continue
                answer = operation["responses"].setdefault(code, {"description": description})
                answer["content"] = ref
    return schema


def _include_routers(app: FastAPI) -> None:
    for router in (decisions, ops, keys, owners, rules, windows, templates, contacts,
                   channels, deliveries, digest, calendar, pages):
        app.include_router(router)
