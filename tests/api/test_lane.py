"""The intake lane (``app.lane``): the same answers as FastAPI's routes, byte for byte,
for the ordinary request and for every refusal; FastAPI's router is not needed for the
ordinary request; a client that goes away mid-body changes nothing."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_hooks import SAMPLE_TIME, SLACK, connect, frozen_clock, on_leave  # noqa: F401
from tests.channels.conftest import sample

AT = "2026-05-27T11:00:00+03:00"


@pytest.fixture
def plain(settings, sessions) -> Iterator[TestClient]:  # noqa: ANN001
    """The same app without the lane: every request through FastAPI's router."""
    from app.main import create_app

    application = create_app(settings, background=False, lane=False)
    with TestClient(application, raise_server_exceptions=False) as c:
        yield c
    application.state.engine.dispose()


def _same(a: Any, b: Any) -> None:
    assert (a.status_code, a.content) == (b.status_code, b.content)
    drop = {"x-request-id", "date"}
    assert ({k: v for k, v in a.headers.items() if k not in drop}
            == {k: v for k, v in b.headers.items() if k not in drop})


def _evaluate_cases(owner_key: str, admin: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    mine = {"Authorization": f"Bearer {owner_key}"}
    body = {"contact": {"address": "amina@example.org", "name": "Amina"},
            "text": "Hello, are you open?", "received_at": AT, "dry_run": True}
    raw = json.dumps(body).encode()
    return [
        ("a dry run", {"content": raw, "headers": mine | {"content-type": "application/json"}}),
        ("no content type", {"content": raw, "headers": mine}),
        ("an Arabic message", {"json": body | {"text": "السلام عليكم، متى تعودون؟"},
                               "headers": mine}),
        ("an admin key", {"json": body, "headers": admin}),
        ("a charset", {"content": raw, "headers": mine | {
            "content-type": "application/json; charset=utf-8"}}),
        ("text/plain", {"content": raw, "headers": mine | {"content-type": "text/plain"}}),
        ("no key", {"json": body}),
        ("an unknown key", {"json": body, "headers": {"Authorization": "Bearer ijz_nope"}}),
        ("not bearer", {"json": body, "headers": {"Authorization": f"Basic {owner_key}"}}),
        ("malformed JSON", {"content": b'{"contact": ', "headers": mine}),
        ("an empty body", {"content": b"", "headers": mine}),
        ("an unknown field", {"json": body | {"bogus": 1}, "headers": mine}),
        ("no address", {"json": body | {"contact": {"name": "A"}}, "headers": mine}),
        ("a blank address", {"json": body | {"contact": {"address": "   "}}, "headers": mine}),
        ("a naive instant", {"json": body | {"received_at": "2026-05-27T11:00:00"},
                             "headers": mine}),
        ("an unknown language", {"json": body | {"contact": {"address": "a@b.c",
                                                             "language": "fr"}},
                                 "headers": mine}),
        ("a long idempotency key", {"json": body, "headers": mine | {
            "Idempotency-Key": "k" * 301}}),
    ]


def test_the_lane_answers_as_fastapi_does(client, plain, admin, owner, owner_key,  # noqa: ANN001
                                          sessions) -> None:
    cases = _evaluate_cases(owner_key, admin)
    warm = {"Authorization": f"Bearer {owner_key}"}
    for name, request in cases:
        # The lane takes only keys it has seen in the last seconds: ask once to be sure.
        client.get(f"/v1/owners/{owner['id']}", headers=warm)
        client.get(f"/v1/owners/{owner['id']}", headers=admin)
        a = client.post(f"/v1/owners/{owner['id']}/evaluate", **request)
        b = plain.post(f"/v1/owners/{owner['id']}/evaluate", **request)
        assert a.status_code in (200, 400, 401, 404, 422), (name, a.text)
        _same(a, b)
    other = client.post("/v1/owners", json={"id": "other", "name": "Other", "timezone": "UTC",
                                            "country": "SA"}, headers=admin)
    assert other.status_code == 201, other.text
    for c in (client, plain):  # an owner key asking for another owner
        c.get(f"/v1/owners/{owner['id']}", headers=warm)
    a, b = (c.post("/v1/owners/other/evaluate", json={"contact": {"address": "x@y.z"}},
                   headers=warm) for c in (client, plain))
    assert a.status_code == 404
    _same(a, b)
    for path in ("/v1/owners/other/evaluate/", "/v1/owners//evaluate"):
        _same(client.post(path, json={}, headers=admin), plain.post(path, json={}, headers=admin))
    _same(client.get(f"/v1/owners/{owner['id']}/evaluate", headers=admin),
          plain.get(f"/v1/owners/{owner['id']}/evaluate", headers=admin))
    events = client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"]
    assert events == []  # dry runs and refusals record nothing, on either path


def test_the_lane_answers_hooks_as_fastapi_does(client, plain, admin, owner,  # noqa: ANN001
                                                on_leave, frozen_clock) -> None:  # noqa: F811
    channel = connect(client, admin, owner, "slack", SLACK)
    path = f"/hooks/{channel['id']}"
    handshake = sample("slack_url_verification")
    message = sample("slack_message_im")
    cases = [
        ("the URL check", handshake.body, dict(handshake.headers)),
        ("a forged signature", message.body,
         dict(message.headers) | {"X-Slack-Signature": "v0=" + "0" * 64}),
        ("not Slack's JSON", b"nonsense", dict(message.headers)),
    ]
    for name, body, headers in cases:
        a, b = (c.post(path + "?x=1&x=2", content=body, headers=headers) for c in (client, plain))
        assert a.status_code in (200, 400, 401), (name, a.text)
        _same(a, b)
    for unknown in ("/hooks/ch_nope", "/hooks/" + "x" * 40):
        _same(client.post(unknown, content=b"{}"), plain.post(unknown, content=b"{}"))
    _same(client.get(path), plain.get(path))
    _same(client.put(path, content=b"{}"), plain.put(path, content=b"{}"))
    # A real message through the lane, then its retry through FastAPI: one event, one reply.
    first = client.post(path, content=message.body, headers=dict(message.headers))
    retry = plain.post(path, content=message.body, headers=dict(message.headers))
    assert first.status_code == retry.status_code == 200
    events = client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"]
    deliveries = client.get(f"/v1/owners/{owner['id']}/deliveries",
                            headers=admin).json()["items"]
    assert len(events) == 1 and len(deliveries) == 1


def test_the_ordinary_request_does_not_need_fastapis_router(app, client, admin,  # noqa: ANN001
                                                            owner, owner_key) -> None:
    mine = {"Authorization": f"Bearer {owner_key}"}
    assert client.get(f"/v1/owners/{owner['id']}", headers=mine).status_code == 200
    from app.decisions.endpoints import router as decisions

    # Take the decisions routes away from FastAPI (the evaluate route among them).
    app.router.routes[:] = [r for r in app.router.routes
                            if getattr(r, "original_router", None) is not decisions]
    served = client.post(f"/v1/owners/{owner['id']}/evaluate", headers=mine, json={
        "contact": {"address": "amina@example.org"}, "text": "Hello", "received_at": AT})
    assert served.status_code == 200, served.text
    assert served.json()["event_id"] is not None and served.headers["x-request-id"]
    # A request the lane leaves to FastAPI now finds no route.
    refused = client.post(f"/v1/owners/{owner['id']}/evaluate", headers=mine,
                          json={"contact": {}})
    assert refused.status_code == 404


def test_a_client_gone_mid_body_is_not_answered_and_changes_nothing(  # noqa: ANN001
        app, client, admin, owner, owner_key) -> None:
    mine = {"Authorization": f"Bearer {owner_key}"}
    assert client.get(f"/v1/owners/{owner['id']}", headers=mine).status_code == 200
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
    assert sent == []
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
    assert client.get(f"/v1/owners/{owner['id']}", headers=mine).status_code == 200

    async def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    app.state.recorder.evaluate = broken
    response = client.post(f"/v1/owners/{owner['id']}/evaluate", headers=mine, json={
        "contact": {"address": "amina@example.org"}, "text": "Hello"})
    assert response.status_code == 500 and "a bug" not in response.text
    assert response.headers["x-request-id"]
    # A failure inside FastAPI's own layers carries its request id too.
    response = client.post(f"/v1/owners/{owner['id']}/evaluate", headers=mine | {
        "X-Request-ID": "req-1"}, content=b"{}", )
    assert response.status_code == 422 and response.headers["x-request-id"] == "req-1"
