from __future__ import annotations

import sqlite3
import time

import anyio.to_thread

from app.ops.endpoints import READY_SECONDS


def _is_problem(response) -> dict:  # noqa: ANN001
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body = response.json()
    assert body["status"] == response.status_code and body["title"] and "detail" in body
    return body


def test_unknown_route_is_404_problem(client) -> None:
    _is_problem(client.get("/v1/nowhere"))


def test_wrong_method_is_405_problem(client) -> None:
    response = client.put("/healthz")
    assert response.status_code == 405
    _is_problem(response)


def test_malformed_json_is_400(client, admin) -> None:
    response = client.post("/v1/owners", content=b'{"id": "x",', headers=admin |
                           {"content-type": "application/json"})
    assert response.status_code == 400
    _is_problem(response)


def test_body_over_one_mebibyte_is_413(client, admin) -> None:
    big = b'{"id": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    response = client.post("/v1/owners", content=big, headers=admin | {"content-type": "application/json"})
    assert response.status_code == 413
    _is_problem(response)


def test_validation_error_names_the_field(client, admin) -> None:
    response = client.post("/v1/owners", json={"id": "x"}, headers=admin)
    assert response.status_code == 422
    body = _is_problem(response)
    assert {e["field"] for e in body["errors"]} >= {"name", "timezone", "country"}


def test_health_and_readiness(client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_readiness_answers_while_every_request_thread_is_taken(client) -> None:
    """Under load every token of the shared thread pool belongs to a request; the probe has
    threads of its own, so a busy replica is not taken for a dead one."""
    holders = [object() for _ in range(64)]

    async def take_every_token() -> int:
        limiter = anyio.to_thread.current_default_thread_limiter()
        taken = 0
        for holder in holders[:int(limiter.total_tokens)]:
            limiter.acquire_on_behalf_of_nowait(holder)
            taken += 1
        assert limiter.available_tokens == 0
        return taken

    async def give_them_back(taken: int) -> None:
        limiter = anyio.to_thread.current_default_thread_limiter()
        for holder in holders[:taken]:
            limiter.release_on_behalf_of(holder)

    taken = client.portal.call(take_every_token)
    try:
        ready = client.get("/readyz")
    finally:
        client.portal.call(give_them_back, taken)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_readiness_answers_while_another_process_holds_the_write_lock(client, db_url) -> None:
    """On SQLite a long write elsewhere (a worker planning notices) is not an outage: the
    probe reads on a connection of its own and waits for no writer."""
    if not db_url.startswith("sqlite"):
        assert client.get("/readyz").status_code == 200  # PostgreSQL has no database-wide lock
        return
    writer = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        started = time.monotonic()
        ready = client.get("/readyz")
        took = time.monotonic() - started
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert ready.status_code == 200, ready.text
    assert took < READY_SECONDS


def test_readiness_is_503_when_the_database_is_gone(settings) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app

    broken = settings.model_copy(update={"database_url": "sqlite:////nonexistent/dir/x.db"})
    with TestClient(create_app(broken, background=False)) as c:
        response = c.get("/readyz")
    assert response.status_code == 503
    _is_problem(response)


def test_request_id_is_echoed(client) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response.headers["x-request-id"] == "abc123"
    assert len(client.get("/healthz").headers["x-request-id"]) >= 8


def test_openapi_lists_every_route(client) -> None:
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    for path in ("/v1/owners", "/v1/owners/{owner_id}", "/v1/owners/{owner_id}/windows",
                 "/v1/owners/{owner_id}/contacts", "/v1/keys", "/v1/calendar/{country}",
                 "/v1/owners/{owner_id}/evaluate", "/hooks/{channel_id}", "/p/{owner_id}"):
        assert path in paths, path
    assert client.get("/docs").status_code == 200
