"""Limits at the edge and values that parse but do not fit: 4xx problem+json, nothing
changed, never a 500 — on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
import time

import pytest

from app.channels.generic import sign
from tests.faults.conftest import problem

MESSAGE = {"contact": {"address": "amina@example.org", "name": "Amina"}, "text": "hello",
           "received_at": "2027-03-10T11:00:00+03:00"}


def _events(client, admin, owner) -> list:  # noqa: ANN001
    return client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"]


def test_one_header_over_16_kib_is_431(client) -> None:
    assert problem(client.get("/healthz", headers={"x-big": "a" * (17 * 1024)}))["status"] == 431


def test_headers_over_64_kib_in_all_are_431(client) -> None:
    headers = {f"x-h{i}": "a" * 10_000 for i in range(7)}
    assert problem(client.get("/healthz", headers=headers))["status"] == 431


def test_ordinary_headers_pass(client) -> None:
    assert client.get("/healthz", headers={"x-h": "a" * 8000}).status_code == 200


def test_a_chunked_body_over_one_mebibyte_is_413_and_stores_nothing(client, admin) -> None:
    def chunks():  # noqa: ANN202 — no Content-Length: the body streams in
        yield b'{"id": "big", "name": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = client.post("/v1/owners", content=chunks(),
                           headers=admin | {"content-type": "application/json"})
    assert problem(response)["status"] == 413
    assert client.get("/v1/owners/big", headers=admin).status_code == 404


@pytest.mark.parametrize("text", ["a\u0000b", "\u0007bell", "esc\u001b[31m"])
def test_controls_in_an_api_request_are_422_and_nothing_is_recorded(client, admin, owner, text) -> None:
    body = MESSAGE | {"text": text}
    response = client.post(f"/v1/owners/{owner['id']}/evaluate", json=body, headers=admin)
    assert problem(response)["status"] == 422
    for field in ("name", "urgent_contact"):
        patched = client.patch(f"/v1/owners/{owner['id']}", json={field: text}, headers=admin)
        assert problem(patched)["status"] == 422
    assert client.get(f"/v1/owners/{owner['id']}", headers=admin).json()["name"] == owner["name"]
    assert _events(client, admin, owner) == []


def test_controls_in_the_query_are_422(client, admin, owner) -> None:
    response = client.get(f"/v1/owners/{owner['id']}/events?contact=a%00b", headers=admin)
    assert problem(response)["status"] == 422


def test_tab_newline_and_an_escaped_backslash_u_are_text(client, admin, owner) -> None:
    body = MESSAGE | {"text": "line\tone\nline two \\u0000 literally", "dry_run": True}
    response = client.post(f"/v1/owners/{owner['id']}/evaluate", json=body, headers=admin)
    assert response.status_code == 200, response.text


def _generic(client, admin, owner) -> dict:  # noqa: ANN001
    response = client.post(f"/v1/owners/{owner['id']}/channels", json={
        "platform": "generic", "settings": {"signing_secret": "g"}}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def _hook(client, channel, body: bytes):  # noqa: ANN001, ANN202
    return client.post(f"/hooks/{channel['id']}", content=body, headers={
        "content-type": "application/json",
        "x-ijaza-signature": sign("g", body, int(time.time()))})


def test_nul_in_a_webhook_message_is_stripped_and_the_message_recorded(client, admin, owner) -> None:
    channel = _generic(client, admin, owner)
    body = json.dumps({"contact": {"address": "crm\u0000-42", "name": "Am\u0000ina"},
                       "text": "hel\u0000lo", "subject": "s\u0001"}).encode()
    response = _hook(client, channel, body)
    assert response.status_code == 200, response.text
    [event] = _events(client, admin, owner)
    assert "\u0000" not in json.dumps(event)
    contacts = client.get(f"/v1/owners/{owner['id']}/contacts", headers=admin).json()["items"]
    assert [c["address"] for c in contacts] == ["crm-42"]
    assert _hook(client, channel, body).status_code == 200  # the platform's retry: same answer
    assert len(_events(client, admin, owner)) == 1


def test_deep_json_is_422_in_the_api_and_4xx_in_a_signed_webhook(client, admin, owner) -> None:
    deep = b'{"settings": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = client.patch(f"/v1/owners/{owner['id']}/channels/ch_x", content=deep,
                            headers=admin | {"content-type": "application/json"})
    assert 400 <= response.status_code < 500
    response = client.post("/v1/owners", content=deep,
                           headers=admin | {"content-type": "application/json"})
    assert problem(response)["status"] in (400, 422)
    channel = _generic(client, admin, owner)
    body = b'{"contact": "x", "text": "t", "headers": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    problem(_hook(client, channel, body))
    assert _events(client, admin, owner) == []


def _mime_channel(client, admin, owner) -> dict:  # noqa: ANN001
    response = client.post(f"/v1/owners/{owner['id']}/channels", json={
        "platform": "email", "settings": {"provider": "mime", "token": "pipe",
                                          "owner_addresses": ["support@example.com"],
                                          "smtp_host": "127.0.0.1",
                                          "from_address": "support@example.com"}},
        headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


def _nested_mime(depth: int) -> bytes:
    head = (b"Return-Path: <amina@example.org>\r\nFrom: amina@example.org\r\n"
            b"To: support@example.com\r\nSubject: deep\r\nMessage-ID: <deep@example.org>\r\n")
    parts = b""
    for level in range(depth):
        parts += (f"Content-Type: multipart/mixed; boundary=\"b{level}\"\r\n\r\n--b{level}\r\n"
                  ).encode()
    parts += b"Content-Type: text/plain\r\n\r\nhello\r\n"
    return head + parts


def test_mime_nested_a_thousand_deep_is_acknowledged_as_too_complex(client, admin, owner) -> None:
    channel = _mime_channel(client, admin, owner)
    response = client.post(f"/hooks/{channel['id']}", content=_nested_mime(1000),
                           headers={"content-type": "message/rfc822",
                                    "authorization": "Bearer pipe"})
    assert response.status_code == 200, response.text
    [event] = _events(client, admin, owner)  # acknowledged, not answered, and the owner sees it
    assert event["kind"] == "not_answered" and not event["replied"]
    assert event["decision"] == {"answered": False, "reason": "not answered: message too complex"}
    again = client.post(f"/hooks/{channel['id']}", content=_nested_mime(1000),
                        headers={"content-type": "message/rfc822", "authorization": "Bearer pipe"})
    assert again.status_code == 200 and len(_events(client, admin, owner)) == 1  # a retry: once


def test_ordinary_mime_nesting_is_answered(client, admin, owner) -> None:
    channel = _mime_channel(client, admin, owner)
    response = client.post(f"/hooks/{channel['id']}", content=_nested_mime(3),
                           headers={"content-type": "message/rfc822",
                                    "authorization": "Bearer pipe"})
    assert response.status_code == 200, response.text
    assert len(_events(client, admin, owner)) == 1


@pytest.mark.parametrize("path", [
    "/deliveries/99999999999999999999",
    "/deliveries/9223372036854775808",
    "/deliveries/-1",
    "/availability?at=9999-12-31T23:59:59%2B00:00",
    "/availability?at=0001-01-01T00:00:00%2B00:00",
    "/availability?at=9999-12-31T23:59:59-12:00",
    "/windows?from=0001-01-01T00:00:00%2B00:00&to=9999-12-31T23:59:59%2B00:00",
    "/digest?window=99999999999999999999",
    "/events?since=9999-12-31T23:59:59%2B00:00",
    "/events?cursor=99999999999999999999999",
])
def test_values_that_parse_but_do_not_fit_are_4xx(client, admin, owner, path) -> None:
    response = client.get(f"/v1/owners/{owner['id']}{path}", headers=admin)
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        problem(response)


def test_retry_of_an_id_beyond_64_bits_is_4xx(client, admin, owner) -> None:
    response = client.post(f"/v1/owners/{owner['id']}/deliveries/99999999999999999999/retry",
                           headers=admin)
    problem(response)


def test_working_hours_null_restores_the_default_hours(client, admin, owner) -> None:
    response = client.patch(f"/v1/owners/{owner['id']}", json={"working_hours": None}, headers=admin)
    assert response.status_code == 200, response.text
    hours = response.json()["working_hours"]
    assert hours and "fri" not in hours  # Saudi Arabia's weekend is Friday and Saturday
