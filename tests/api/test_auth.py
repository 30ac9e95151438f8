"""Tenants stay apart: for every owner-scoped route, no key but the owner's own (or an
admin key) gets through, and the answer never tells whether the owner exists."""

from __future__ import annotations

import copy

import pytest

from tests.conftest import OWNER_BODY

OWNER_ROUTES = [
    ("GET", "/v1/owners/{o}"),
    ("PATCH", "/v1/owners/{o}"),
    ("DELETE", "/v1/owners/{o}"),
    ("GET", "/v1/owners/{o}/rules"),
    ("POST", "/v1/owners/{o}/rules"),
    ("GET", "/v1/owners/{o}/windows"),
    ("POST", "/v1/owners/{o}/windows"),
    ("GET", "/v1/owners/{o}/availability"),
    ("POST", "/v1/owners/{o}/activity"),
    ("POST", "/v1/owners/{o}/evaluate"),
    ("GET", "/v1/owners/{o}/templates/off/ar/formal"),
    ("PUT", "/v1/owners/{o}/templates/off/ar/formal"),
    ("POST", "/v1/owners/{o}/templates/off/ar/formal/preview"),
    ("GET", "/v1/owners/{o}/contacts"),
    ("POST", "/v1/owners/{o}/contacts"),
    ("GET", "/v1/owners/{o}/channels"),
    ("POST", "/v1/owners/{o}/channels"),
    ("GET", "/v1/owners/{o}/deliveries"),
    ("GET", "/v1/owners/{o}/digest"),
    ("GET", "/v1/owners/{o}/events"),
]

VALID_BODIES = {
    "PATCH /v1/owners/{o}": {"tone": "friendly"},
    "POST /v1/owners/{o}/rules": {"occasion": "eid_al_fitr", "kind": "off"},
    "POST /v1/owners/{o}/windows": {"kind": "off", "starts_at": "2030-01-01T00:00:00+03:00",
                                   "ends_at": "2030-01-02T00:00:00+03:00"},
    "POST /v1/owners/{o}/activity": {},
    "POST /v1/owners/{o}/evaluate": {"contact": {"address": "a@example.org"}, "text": "hi"},
    "PUT /v1/owners/{o}/templates/off/ar/formal": {"source": "مرحبًا {{ contact_name }}"},
    "POST /v1/owners/{o}/templates/off/ar/formal/preview": {},
    "POST /v1/owners/{o}/contacts": {"address": "x@example.org"},
    "POST /v1/owners/{o}/channels": {"platform": "console"},
}


@pytest.fixture
def other_key(client, admin, sessions) -> str:
    from app.db import session_scope
    from app.keys.service import create_key

    body = copy.deepcopy(OWNER_BODY) | {"id": "rival"}
    assert client.post("/v1/owners", json=body, headers=admin).status_code == 201
    with session_scope(sessions) as session:
        return create_key(session, admin=False, owner_id="rival").key


@pytest.mark.parametrize(("method", "path"), OWNER_ROUTES)
def test_other_owners_key_gets_404_and_changes_nothing(client, owner, other_key, admin, method, path) -> None:
    url = path.format(o=owner["id"])
    body = VALID_BODIES.get(f"{method} {path}")
    response = client.request(method, url, json=body, headers={"Authorization": f"Bearer {other_key}"})
    assert response.status_code == 404, (method, url, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    # the same route for an owner that does not exist answers the same way
    ghost = client.request(method, path.format(o="ghost"), json=body,
                           headers={"Authorization": f"Bearer {other_key}"})
    assert ghost.status_code == 404
    assert ghost.json()["title"] == response.json()["title"]
    assert client.get(f"/v1/owners/{owner['id']}", headers=admin).json() == owner


@pytest.mark.parametrize(("method", "path"), OWNER_ROUTES)
def test_no_key_or_a_wrong_key_is_401(client, owner, method, path) -> None:
    url = path.format(o=owner["id"])
    body = VALID_BODIES.get(f"{method} {path}")
    for headers in ({}, {"Authorization": "Bearer ijz_not-a-real-key"},
                    {"Authorization": "Basic dXNlcjpwYXNz"}):
        response = client.request(method, url, json=body, headers=headers)
        assert response.status_code == 401, (method, url, headers)
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(("method", "path"), OWNER_ROUTES)
def test_own_key_gets_through(client, owner, owner_key, method, path) -> None:
    url = path.format(o=owner["id"])
    body = VALID_BODIES.get(f"{method} {path}")
    response = client.request(method, url, json=body, headers={"Authorization": f"Bearer {owner_key}"})
    assert response.status_code < 400 or (path.endswith("/digest") and response.status_code == 404), (
        method, url, response.text)


def test_owner_key_cannot_create_owners_or_admin_keys(client, owner_key) -> None:
    headers = {"Authorization": f"Bearer {owner_key}"}
    body = copy.deepcopy(OWNER_BODY) | {"id": "sneaky"}
    assert client.post("/v1/owners", json=body, headers=headers).status_code == 404
    assert client.post("/v1/keys", json={"admin": True}, headers=headers).status_code == 404
    assert client.post("/v1/keys", json={"owner_id": "other"}, headers=headers).status_code == 404


def test_owner_key_lists_only_its_owner(client, owner, other_key) -> None:
    page = client.get("/v1/owners", headers={"Authorization": f"Bearer {other_key}"}).json()
    assert [o["id"] for o in page["items"]] == ["rival"]


def test_keys_are_shown_once_stored_hashed_and_revocable(client, admin, owner, sessions) -> None:
    from sqlalchemy import select

    from app.keys.models import ApiKey

    created = client.post("/v1/keys", json={"owner_id": owner["id"], "name": "zapier"}, headers=admin)
    assert created.status_code == 201
    key = created.json()["key"]
    assert key.startswith("ijz_") and len(key) >= 4 + 32  # ≥ 128 bits of randomness
    listed = client.get("/v1/keys", headers=admin).json()["items"]
    assert all("key" not in item for item in listed)
    with sessions() as session:
        stored = [r.digest for r in session.scalars(select(ApiKey))]
    assert key not in stored and all(len(d) == 64 for d in stored)

    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(f"/v1/owners/{owner['id']}", headers=headers).status_code == 200
    assert client.delete(f"/v1/keys/{created.json()['id']}", headers=admin).status_code == 204
    assert client.get(f"/v1/owners/{owner['id']}", headers=headers).status_code == 401


def test_admin_only_calendar_confirmation_is_404_for_owner_keys(client, owner_key) -> None:
    response = client.post("/v1/calendar/SA/confirmations",
                           json={"occasion": "eid_al_fitr", "date": "2027-03-09"},
                           headers={"Authorization": f"Bearer {owner_key}"})
    assert response.status_code == 404
