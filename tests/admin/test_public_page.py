"""The public page is the owner's choice; what it shows; the .ics feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest import mock

from icalendar import Calendar


def _feed(client, owner_id: str) -> list:  # noqa: ANN001
    response = client.get(f"/p/{owner_id}.ics")
    assert response.status_code == 200
    return list(Calendar.from_ical(response.content).walk("VEVENT"))


def test_a_private_owner_answers_like_an_unknown_one(client, admin, owner) -> None:  # noqa: ANN001
    assert owner["public_page"] is False
    for suffix in ("", ".ics", "/status.json"):
        private, unknown = client.get(f"/p/{owner['id']}{suffix}"), client.get(f"/p/nobody{suffix}")
        assert private.status_code == unknown.status_code == 404
        assert private.json()["detail"].replace(owner["id"], "X") == \
            unknown.json()["detail"].replace("nobody", "X")
    client.patch(f"/v1/owners/{owner['id']}", json={"public_page": True}, headers=admin)
    assert client.get(f"/p/{owner['id']}").status_code == 200


def test_the_urgent_contact_shows_only_when_marked_public(client, admin, owner) -> None:  # noqa: ANN001
    client.patch(f"/v1/owners/{owner['id']}", json={"public_page": True}, headers=admin)
    hidden = client.get(f"/p/{owner['id']}")
    assert "+966500000000" not in hidden.text
    assert client.get(f"/p/{owner['id']}/status.json").json()["urgent_contact"] is None
    client.patch(f"/v1/owners/{owner['id']}", json={"urgent_contact_public": True}, headers=admin)
    shown = client.get(f"/p/{owner['id']}")
    assert 'id="urgent-contact"' in shown.text and "+966500000000" in shown.text
    assert client.get(f"/p/{owner['id']}/status.json").json()["urgent_contact"] == "Omar +966500000000"


def test_the_page_shows_the_week_ramadan_hours_and_response_time(client, admin, owner) -> None:  # noqa: ANN001
    client.patch(f"/v1/owners/{owner['id']}", json={"public_page": True}, headers=admin)
    client.post(f"/v1/owners/{owner['id']}/rules", headers=admin, json={
        "occasion": "ramadan", "kind": "reduced", "span": {"type": "hijri", "start": "09-01",
                                                           "end": "09-29"},
        "reply_slots": ["20:00-22:00"]})
    en = client.get(f"/p/{owner['id']}", params={"lang": "en"}).text
    assert "09:00-13:00, 16:00-20:00" in en and "Sunday" in en
    assert en.index("Sunday") < en.index("Monday") < en.index("Saturday")  # SA's week
    assert 'id="response-time">4 hours' in en
    assert 'id="ramadan-hours"' in en and "20:00-22:00" in en
    ar = client.get(f"/p/{owner['id']}").text
    assert "الأحد" in ar and "ساعات" in ar


def test_the_feed_uses_all_day_events_sequence_and_the_first_language(client, admin, owner) -> None:  # noqa: ANN001
    client.patch(f"/v1/owners/{owner['id']}", json={"public_page": True}, headers=admin)
    start = date.today() + timedelta(days=20)
    whole = client.post(f"/v1/owners/{owner['id']}/windows", headers=admin, json={
        "kind": "off", "starts_at": f"{start}T00:00:00+03:00",
        "ends_at": f"{start + timedelta(days=3)}T00:00:00+03:00",
        "title": {"ar": "إجازة خاصة", "en": "Private leave"}}).json()
    part = client.post(f"/v1/owners/{owner['id']}/windows", headers=admin, json={
        "kind": "off", "starts_at": f"{start + timedelta(days=10)}T13:00:00+03:00",
        "ends_at": f"{start + timedelta(days=10)}T17:00:00+03:00"}).json()
    events = {str(e["uid"]).split("@")[0]: e for e in _feed(client, owner["id"])}
    first = events[whole["id"]]
    assert first["dtstart"].dt == start and first["dtend"].dt == start + timedelta(days=3)
    assert str(first["summary"]) == "إجازة خاصة"  # the owner's first language is Arabic
    assert isinstance(events[part["id"]]["dtstart"].dt, datetime)
    assert str(events[part["id"]]["summary"]) == "إجازة"
    before = int(first["sequence"])
    with mock.patch("app.clock.now", return_value=datetime.now(UTC) + timedelta(minutes=5)):
        client.patch(f"/v1/owners/{owner['id']}/windows/{whole['id']}", headers=admin,
                     json={"ends_at": f"{start + timedelta(days=4)}T00:00:00+03:00"})
    moved = {str(e["uid"]).split("@")[0]: e for e in _feed(client, owner["id"])}[whole["id"]]
    assert int(moved["sequence"]) > before and moved["dtend"].dt == start + timedelta(days=4)
    client.patch(f"/v1/owners/{owner['id']}", json={"languages": ["en", "ar"]}, headers=admin)
    english = {str(e["uid"]).split("@")[0]: e for e in _feed(client, owner["id"])}
    assert str(english[whole["id"]]["summary"]) == "Private leave"
    assert str(english[whole["id"]]["description"]).startswith("Back on ")
    assert str(first["description"]).startswith("نعود يوم ")  # as its title, in Arabic first
