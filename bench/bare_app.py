"""The bare-FastAPI floor: the real routes' shapes, the same request models, no work.

Each route validates its body with the same pydantic model as Ijaza (``EvaluateRequest``,
``WindowCreate``) and returns a small constant JSON, so ``real / bare`` is the share of the
framework floor that Ijaza keeps. Routes are ``def`` (thread pool) or ``async def`` as in
the real app. Served by the same uvicorn settings: ``uvicorn bare_app:app --app-dir bench``.

``/in-thread/…/evaluate`` is the floor that runs before 2026-11-23 measured against: a
``def`` route, which pays a hop to the thread pool on every request and so serves about
half as many requests. The real evaluate has been ``async def`` since the group commit, so
its floor is too; the old one is kept only to compare with the earlier results.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

from app.decisions.schemas import EvaluateRequest
from app.windows.schemas import WindowCreate

app = FastAPI(title="bare floor")

OWNER = {
    "id": "bench", "name": "Bench Studio", "timezone": "Asia/Riyadh", "country": "SA",
    "languages": ["ar", "en"], "tone": "formal",
    "working_hours": {d: ["09:00-17:00"] for d in ("sun", "mon", "tue", "wed", "thu")},
    "response_time": "PT4H", "urgent_contact": "Omar +966500000000", "delegate": None,
    "urgent_keywords": None, "reply_once_per": "P4D", "active_for": "PT10M",
    "notice_audience_days": 60, "digest_to": None,
    "created_at": "2026-11-23T00:00:00Z", "updated_at": "2026-11-23T00:00:00Z",
}
WINDOW = {"id": "w_bare", "kind": "off", "source": "manual"}
DECISION = {"status": "off", "suppressed": None, "actions": []}
CALENDAR = {"country": "SA", "year": 2027, "weekend": ["fri", "sat"], "occasions": [],
            "holidays": []}


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/v1/owners/{owner_id}")
def get_owner(owner_id: str) -> dict:
    return OWNER


@app.post("/v1/owners/{owner_id}/windows", status_code=201)
def create_window(owner_id: str, body: WindowCreate) -> dict:
    return WINDOW


@app.post("/v1/owners/{owner_id}/evaluate")
async def evaluate(owner_id: str, body: EvaluateRequest) -> dict:
    return DECISION


@app.post("/in-thread/v1/owners/{owner_id}/evaluate")
def evaluate_in_thread(owner_id: str, body: EvaluateRequest) -> dict:
    return DECISION


@app.get("/v1/calendar/{country}")
def calendar(country: str, year: int | None = None) -> dict:
    return CALENDAR


@app.post("/hooks/{channel_id}")
async def hook(channel_id: str, request: Request) -> Response:
    await request.body()
    return Response(b"{}", media_type="application/json")
