"""The two intake routes (``POST …/evaluate`` and ``/hooks/{channel}``) are ordinary routes
of the application: a middleware added to the app sees them, refusals are the app's own
problem+json, a bug is a 500 with its request id, and a client that goes away mid-body
changes nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_hooks import SLACK, connect, frozen_clock, on_leave  # noqa: F401
from tests.channels.conftest import sample

AT = "2026-05-27T11:00:00+03:00"


def test_a_middleware_added_to_the_app_sees_both_intake_routes(  # noqa: ANN001
        settings, sessions, admin, owner, owner_key, on_leave, frozen_clock) -> None:  # noqa: F811
    from app.main import create_app

    application = create_app(settings, background=False)
    seen: list[tuple[str, str]] = []

    @application.middleware("http")
    async def record(request: Any, call_next: Any) -> Any:
        response = await call_next(request)
        seen.append((request.url.path, str(response.status_code)))
        response.headers["x-seen-by"] = "test"
        return response

    with TestClient(application, raise_server_exceptions=False) as client:
        mine = {"Authorization": f"Bearer {owner_key}"}
        evaluated = client.post(f"/v1/owners/{owner['id']}/evaluate", headers=mine, json={
            "contact": {"address": "amina@example.org"}, "text": "Hello", "received_at": AT})
        assert evaluated.status_code == 200, evaluated.text
        assert evaluated.headers["x-seen-by"] == "test"
        channel = connect(client, admin, owner, "slack", SLACK)
        message = sample("slack_message_im")
        hooked = client.post(f"/hooks/{channel['id']}", content=message.body,
                             headers=dict(message.headers))
        assert hooked.status_code == 200 and hooked.headers["x-seen-by"] == "test"
        refused = client.post(f"/hooks/{channel['id']}", content=message.body,
                              headers=dict(message.headers) | {"X-Slack-Signature": "v0=0"})
        assert refused.status_code == 401 and refused.headers["x-seen-by"] == "test"
    application.state.engine.dispose()
    paths = [path for path, _ in seen]
    assert f"/v1/owners/{owner['id']}/evaluate" in paths
    assert paths.count(f"/hooks/{channel['id']}") == 2


def test_refusals_are_the_apps_problem_json(client, owner, owner_key) -> None:  # noqa: ANN001
    mine = {"Authorization": f"Bearer {owner_key}"}
    path = f"/v1/owners/{owner['id']}/evaluate"
    body = {"contact": {"address": "amina@example.org"}, "text": "Hello", "received_at": AT}
    cases = [
        ({"json": body}, 401, None),
        ({"json": body, "headers": {"Authorization": "Bearer ijz_nope"}}, 401, None),
        ({"content": b'{"contact": ', "headers": mine | {"content-type": "application/json"}},
         400, "body"),
        ({"content": json.dumps(body).encode(), "headers": mine | {"content-type": "text/plain"}},
         422, "body"),
        ({"content": b"", "headers": mine | {"content-type": "application/json"}}, 422, "body"),
        ({"json": body | {"bogus": 1}, "headers": mine}, 422, "bogus"),
        ({"json": body | {"contact": {"address": "  "}}, "headers": mine}, 422,
         "contact.address"),
        ({"json": body | {"received_at": "2026-05-27T11:00:00"}, "headers": mine}, 422,
         "received_at"),
        ({"json": body, "headers": mine | {"Idempotency-Key": "k" * 301}}, 422,
         "idempotency-key"),
        ({"json": body, "headers": mine | {"content-type": "application/json; charset=utf-8"}},
         200, None),
    ]
    for request, status, field in cases:
        response = client.post(path, **request)
        assert response.status_code == status, (request, response.text)
        if status != 200:
            assert response.headers["content-type"] == "application/problem+json"
        if field is not None:
            assert field in [e["field"] for e in response.json()["errors"]], response.text
    assert client.get(path, headers=mine).status_code == 405
    assert client.post("/v1/owners/nobody/evaluate", json=body, headers=mine).status_code == 404


def test_the_docs_show_the_intake_routes(client) -> None:  # noqa: ANN001
    paths = client.get("/openapi.json").json()["paths"]
    assert "post" in paths["/v1/owners/{owner_id}/evaluate"]
    assert set(paths["/hooks/{channel_id}"]) == {"get", "post"}
    schema = paths["/v1/owners/{owner_id}/evaluate"]["post"]["requestBody"]
    assert schema["content"]["application/json"]["schema"]["$ref"].endswith("EvaluateRequest")


def test_a_client_gone_mid_body_is_not_answered_and_changes_nothing(  # noqa: ANN001
        app, client, admin, owner, owner_key) -> None:
    body = json.dumps({"contact": {"address": "amina@example.org"}, "text": "Hello"}).encode()
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def go(path: str) -> None:
        parts = iter([{"type": "http.request", "body": body[:10], "more_body": True},
                      {"type": "http.disconnect"}])

        async def receive() -> dict[str, Any]:
            return next(parts)

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "POST", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "root_path": "", "query_string": b"", "server": ("test", 80),
                 "client": ("127.0.0.1", 1),
                 "headers": [(b"authorization", f"Bearer {owner_key}".encode()),
                             (b"content-type", b"application/json")]}
        await app(scope, receive, send)

    asyncio.run(go(f"/v1/owners/{owner['id']}/evaluate"))
    asyncio.run(go("/hooks/ch_whatever"))
    assert [m for m in sent if m["type"] == "http.response.body" and m.get("body")] == []
    events = client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"]
    assert events == []


def test_new_ids_sort_by_creation_and_fit_their_column() -> None:
    from app.db import ordered_id

    ids = [ordered_id("c_") for _ in range(2000)]
    assert all(a[:15] <= b[:15] for a, b in zip(ids, ids[1:], strict=False))  # time first
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("c_") and len(i) <= 32 for i in ids)


def test_an_unexpected_failure_is_a_500_with_its_request_id(app, client, owner,  # noqa: ANN001
                                                            owner_key) -> None:
    mine = {"Authorization": f"Bearer {owner_key}"}

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    app.state.recorder.evaluate = broken
    response = client.post(f"/v1/owners/{owner['id']}/evaluate", headers=mine, json={
        "contact": {"address": "amina@example.org"}, "text": "Hello"})
    assert response.status_code == 500 and "a bug" not in response.text
    assert response.headers["x-request-id"]
    response = client.post(f"/v1/owners/{owner['id']}/evaluate", headers=mine | {
        "X-Request-ID": "req-1"}, content=b"{}", )
    assert response.status_code == 422 and response.headers["x-request-id"] == "req-1"
