from __future__ import annotations

import copy

import pytest

from tests.conftest import OWNER_BODY


def test_create_read_update_delete(client, admin) -> None:
    created = client.post("/v1/owners", json=OWNER_BODY, headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"] == "nakhla"
    assert body["working_hours"]["sun"] == ["09:00-13:00", "16:00-20:00"]
    assert "fri" not in body["working_hours"] or body["working_hours"]["fri"] == []

    got = client.get("/v1/owners/nakhla", headers=admin)
    assert got.status_code == 200 and got.json()["timezone"] == "Asia/Riyadh"

    patched = client.patch("/v1/owners/nakhla", json={"tone": "friendly", "response_time": "P1D"},
                           headers=admin)
    assert patched.status_code == 200, patched.text
    assert patched.json()["tone"] == "friendly"
    assert patched.json()["response_time"] == "P1D"

    assert client.delete("/v1/owners/nakhla", headers=admin).status_code == 204
    assert client.get("/v1/owners/nakhla", headers=admin).status_code == 404


def test_default_working_hours_follow_the_country_weekend(client, admin) -> None:
    body = {k: v for k, v in OWNER_BODY.items() if k != "working_hours"} | {"id": "cairo",
                                                                             "country": "EG",
                                                                             "timezone": "Africa/Cairo"}
    created = client.post("/v1/owners", json=body, headers=admin)
    assert created.status_code == 201, created.text
    hours = created.json()["working_hours"]
    assert hours.get("fri", []) == [] and hours.get("sat", []) == []
    assert hours["sun"] == ["09:00-17:00"]


def test_midnight_crossing_and_several_intervals_are_accepted(client, admin) -> None:
    body = copy.deepcopy(OWNER_BODY) | {"id": "night"}
    body["working_hours"] = {"thu": ["22:00-02:00"], "sat": ["09:00-12:00", "13:00-17:00"]}
    created = client.post("/v1/owners", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["working_hours"]["thu"] == ["22:00-02:00"]


@pytest.mark.parametrize(("field", "value"), [
    ("timezone", "Mars/Olympus"),
    ("timezone", "+03:00"),
    ("country", "XX"),
    ("languages", ["fr"]),
    ("languages", []),
    ("tone", "rude"),
    ("working_hours", {"sun": ["9-5"]}),
    ("working_hours", {"funday": ["09:00-17:00"]}),
    ("working_hours", {"sun": ["09:00-13:00", "12:00-14:00"]}),
    ("response_time", "4 hours"),
    ("response_time", "P1M"),
    ("id", "Has Spaces"),
    ("reply_once_per", "PT0S"),
])
def test_invalid_owner_is_422_naming_the_field_and_stores_nothing(client, admin, field, value) -> None:
    body = copy.deepcopy(OWNER_BODY) | {field: value}
    response = client.post("/v1/owners", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 422
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem
    assert client.get(f"/v1/owners/{body['id']}", headers=admin).status_code in (404,)


def test_duplicate_id_is_409(client, admin, owner) -> None:
    again = client.post("/v1/owners", json=OWNER_BODY, headers=admin)
    assert again.status_code == 409
    assert again.json()["detail"]


def test_list_is_paginated(client, admin) -> None:
    for i in range(5):
        body = copy.deepcopy(OWNER_BODY) | {"id": f"o{i}"}
        assert client.post("/v1/owners", json=body, headers=admin).status_code == 201
    seen = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/owners", params=params, headers=admin).json()
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["o0", "o1", "o2", "o3", "o4"]


def test_bad_cursor_is_422(client, admin) -> None:
    response = client.get("/v1/owners", params={"cursor": "%%%not-ours"}, headers=admin)
    assert response.status_code == 422
