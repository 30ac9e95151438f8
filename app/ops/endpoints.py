from __future__ import annotations

import json

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from app.errors import problem
from app.leader import current_leader, identity

router = APIRouter(tags=["ops"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers; which process leads the scheduler",
            responses={503: {"description": "Not ready"}})
def readyz(request: Request) -> Response:
    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        leader = current_leader(engine)
    except Exception:  # any driver error means "not ready", never a 500
        return problem(503, "The database is not reachable.")
    leadership = getattr(request.app.state, "leadership", None)
    body = {"status": "ready",
            "process": leadership.identity if leadership else identity("serve"),
            "scheduler": {"candidate": leadership is not None,
                          "leading": bool(leadership and leadership.held),
                          "leader": leader}}
    return Response(json.dumps(body), media_type="application/json")


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
