from __future__ import annotations

import pytest

WINDOW = {"kind": "off", "starts_at": "2030-07-01T00:00:00+03:00",
          "ends_at": "2030-07-08T00:00:00+03:00", "title": {"en": "Summer", "ar": "الصيف"}}


def test_manual_window_crud(client, admin, owner) -> None:
    base = f"/v1/owners/{owner['id']}/windows"
    created = client.post(base, json=WINDOW, headers=admin)
    assert created.status_code == 201, created.text
    w = created.json()
    assert w["source"] == "manual" and w["kind"] == "off" and not w["tentative"]
    assert w["starts_at"] == "2030-07-01T00:00:00+03:00"

    listed = client.get(base, params={"from": "2030-06-30T00:00:00+03:00",
                                      "to": "2030-07-02T00:00:00+03:00"}, headers=admin).json()
    assert w["id"] in [x["id"] for x in listed["items"]]

    patched = client.patch(f"{base}/{w['id']}", json={"kind": "reduced",
                                                      "reply_slots": ["20:00-21:00"]}, headers=admin)
    assert patched.status_code == 200 and patched.json()["kind"] == "reduced"
    assert patched.json()["reply_slots"] == ["20:00-21:00"]

    assert client.delete(f"{base}/{w['id']}", headers=admin).status_code == 204
    assert client.get(f"{base}/{w['id']}", headers=admin).status_code == 404


@pytest.mark.parametrize("body", [
    WINDOW | {"ends_at": "2030-07-01T00:00:00+03:00"},
    WINDOW | {"ends_at": "2030-06-01T00:00:00+03:00"},
    WINDOW | {"starts_at": "2030-07-01T00:00:00"},
    WINDOW | {"kind": "holiday"},
    WINDOW | {"reply_slots": ["25:00-26:00"]},
    WINDOW | {"response_time": "soon"},
    {k: v for k, v in WINDOW.items() if k != "ends_at"},
])
def test_invalid_window_is_422_and_nothing_is_stored(client, admin, owner, body) -> None:
    base = f"/v1/owners/{owner['id']}/windows"
    before = client.get(base, params={"limit": 500}, headers=admin).json()["items"]
    response = client.post(base, json=body, headers=admin)
    assert response.status_code == 422, response.text
    after = client.get(base, params={"limit": 500}, headers=admin).json()["items"]
    assert before == after


@pytest.mark.parametrize(("ends_at", "reason"), [
    ("2030-06-01T00:00:00+03:00", "starts_at must be before ends_at"),
    # The 400-day limit a new window has holds for a changed one too (it did not).
    ("2031-08-06T00:00:00+03:00", "a window may last at most 400 days"),
])
def test_patch_that_would_reverse_or_stretch_a_window_is_422(client, admin, owner, ends_at,
                                                              reason) -> None:
    base = f"/v1/owners/{owner['id']}/windows"
    w = client.post(base, json=WINDOW, headers=admin).json()
    response = client.patch(f"{base}/{w['id']}", json={"ends_at": ends_at}, headers=admin)
    assert response.status_code == 422 and reason in response.text
    assert client.get(f"{base}/{w['id']}", headers=admin).json()["ends_at"] == w["ends_at"]
    # 400 days exactly is allowed
    assert client.patch(f"{base}/{w['id']}", json={"ends_at": "2031-08-05T00:00:00+03:00"},
                        headers=admin).status_code == 200


def test_windows_list_pages_through_everything(client, admin, owner) -> None:
    base = f"/v1/owners/{owner['id']}/windows"
    for day in range(1, 8):
        body = WINDOW | {"starts_at": f"2031-01-0{day}T10:00:00+03:00",
                         "ends_at": f"2031-01-0{day}T12:00:00+03:00"}
        assert client.post(base, json=body, headers=admin).status_code == 201
    params = {"from": "2031-01-01T00:00:00+03:00", "to": "2031-01-09T00:00:00+03:00", "limit": 3}
    ids, cursor = [], None
    while True:
        page = client.get(base, params=params | ({"cursor": cursor} if cursor else {}),
                          headers=admin).json()
        ids += [w["id"] for w in page["items"] if w["source"] == "manual"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(ids) == 7 == len(set(ids))


def test_contacts_crud_link_and_erase(client, admin, owner) -> None:
    base = f"/v1/owners/{owner['id']}/contacts"
    a = client.post(base, json={"channel": "email", "address": "amina@example.org",
                                "name": "أمينة", "language": "ar"}, headers=admin)
    assert a.status_code == 201, a.text
    b = client.post(base, json={"channel": "whatsapp", "address": "+966500000001",
                                "linked_to": a.json()["id"]}, headers=admin)
    assert b.status_code == 201
    assert b.json()["client_key"] == a.json()["client_key"]
    dup = client.post(base, json={"channel": "email", "address": "amina@example.org"}, headers=admin)
    assert dup.status_code == 409
    bad = client.post(base, json={"channel": "email", "address": ""}, headers=admin)
    assert bad.status_code == 422
    bad_link = client.post(base, json={"address": "z@example.org", "linked_to": "c_nope"},
                           headers=admin)
    assert bad_link.status_code == 422

    # a message from Amina is recorded, then erased with her
    ev = client.post(f"/v1/owners/{owner['id']}/evaluate", headers=admin, json={
        "channel": "email", "contact": {"address": "amina@example.org"}, "text": "مرحبا"})
    assert ev.status_code == 200, ev.text
    events = client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"]
    assert any(e["text"] == "مرحبا" for e in events)
    assert client.delete(f"{base}/{a.json()['id']}", headers=admin).status_code == 204
    events = client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"]
    assert not any(e["text"] == "مرحبا" for e in events)
    assert client.get(f"{base}/{a.json()['id']}", headers=admin).status_code == 404
