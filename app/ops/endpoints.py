from __future__ import annotations

import hmac
import json

import anyio
from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.db import ping
from app.deps import get_caller
from app.errors import NotFound, Unauthorized, problem
from app.leader import current_leader, identity

READY_SECONDS = 1.5  # /readyz answers within 2 s, whatever the database does

router = APIRouter(tags=["ops"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers; which process leads the scheduler",
            responses={503: {"description": "Not ready"}})
async def readyz(request: Request) -> Response:
    engine = request.app.state.engine

    def ask() -> str | None:
        ping(engine, timeout=READY_SECONDS)
        return current_leader(engine)

    try:
        with anyio.fail_after(READY_SECONDS):
            # A ping stuck on a lost database is left to its own timeouts (app.db); the
            # answer does not wait for it.
            leader = await anyio.to_thread.run_sync(ask, abandon_on_cancel=True,
                                                    limiter=request.app.state.probe_threads)
    except Exception:  # any driver error or the deadline means "not ready", never a 500
        response = problem(503, "The database is not reachable.")
        response.headers["Retry-After"] = "5"
        return response
    leadership = getattr(request.app.state, "leadership", None)
    body = {"status": "ready",
            "process": leadership.identity if leadership else identity("serve"),
            "scheduler": {"candidate": leadership is not None,
                          "leading": bool(leadership and leadership.held),
                          "leader": leader}}
    return Response(json.dumps(body), media_type="application/json")


@router.get("/metrics", summary="Prometheus metrics (IJAZA_METRICS_KEY or an admin key)",
            response_class=Response)
async def metrics(request: Request) -> Response:
    wanted = request.app.state.settings.metrics_key
    given = request.headers.get("authorization", "").partition(" ")[2].strip()
    if not (wanted and given and hmac.compare_digest(given.encode(), wanted.encode())):
        try:
            caller = await get_caller(request)
        except Unauthorized:
            raise Unauthorized("Send IJAZA_METRICS_KEY or an admin key as "
                               "'Authorization: Bearer <key>'.") from None
        if not caller.admin:
            raise NotFound("No such resource.")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
