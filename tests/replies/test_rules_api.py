"""Rules that are safe to edit: the rules in force (country defaults marked), one rule per
occasion, a Hijri span past the month's end says so, a span that makes no sense is a 422."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

import pytest

TODAY = datetime(2026, 12, 1, 9, tzinfo=UTC)


@pytest.fixture
def frozen():  # noqa: ANN201
    with mock.patch("app.clock.now", return_value=TODAY):
        yield


def test_rules_in_force_show_the_country_defaults(client, admin, owner, frozen) -> None:  # noqa: ANN001
    base = f"/v1/owners/{owner['id']}/rules"
    listed = client.get(base, headers=admin).json()["items"]
    assert {r["source"] for r in listed} == {"country"}
    assert {r["occasion"] for r in listed} >= {"eid_al_fitr", "eid_al_adha", "ramadan"}
    assert all(r["id"].startswith("country:") for r in listed)
    default = next(r for r in listed if r["occasion"] == "eid_al_adha")
    assert client.get(f"{base}/{default['id']}", headers=admin).json() == default
    # a default is changed by adding a rule for its occasion, not edited in place
    refused = client.patch(f"{base}/{default['id']}", headers=admin, json={"notice_days": 3})
    assert refused.status_code == 409 and "add a rule" in refused.json()["detail"]

    mine = client.post(base, headers=admin, json={
        "occasion": "eid_al_adha", "kind": "off", "span": {"type": "days", "before": 1, "after": 4}})
    assert mine.status_code == 201, mine.text
    listed = client.get(base, headers=admin).json()["items"]
    by_occasion = {r["occasion"]: r for r in listed}
    assert by_occasion["eid_al_adha"]["source"] == "owner"
    assert by_occasion["eid_al_adha"]["id"] == mine.json()["id"]
    assert by_occasion["eid_al_fitr"]["source"] == "country"  # left in force
    assert by_occasion["ramadan"]["source"] == "country"
    changed = client.patch(f"{base}/{mine.json()['id']}", headers=admin, json={"notice_days": 14})
    assert changed.status_code == 200 and changed.json()["notice_days"] == 14
    assert {r["occasion"] for r in client.get(base, headers=admin).json()["items"]} == set(
        by_occasion)


def test_a_second_rule_for_an_occasion_is_refused_naming_the_first(client, admin, owner,  # noqa: ANN001
                                                                    frozen) -> None:
    base = f"/v1/owners/{owner['id']}/rules"
    first = client.post(base, headers=admin, json={"occasion": "eid_al_fitr", "kind": "off"})
    assert first.status_code == 201
    second = client.post(base, headers=admin, json={"occasion": "eid_al_fitr", "kind": "reduced"})
    assert second.status_code == 409
    assert first.json()["id"] in second.json()["detail"]
    assert second.headers["content-type"].startswith("application/problem+json")
    other = client.post(base, headers=admin, json={"occasion": "arafah", "kind": "off"})
    assert other.status_code == 201
    owned = [r for r in client.get(base, headers=admin).json()["items"] if r["source"] == "owner"]
    assert sorted(r["occasion"] for r in owned) == ["arafah", "eid_al_fitr"]


def test_a_hijri_span_past_the_months_end_ends_on_its_last_day_and_says_so(  # noqa: ANN001
        client, admin, owner, frozen) -> None:
    base = f"/v1/owners/{owner['id']}"
    made = client.post(f"{base}/rules", headers=admin, json={
        "occasion": "ramadan", "kind": "reduced", "reply_slots": ["20:00-21:00"],
        "span": {"type": "hijri", "start": "09-20", "end": "09-30"}})
    assert made.status_code == 201, made.text
    notes = made.json()["notes"]
    # Ramadan 1448 has 29 days in Saudi Arabia (Umm al-Qura; Eid al-Fitr on 9 March 2027)
    assert any("09-30" in n and "29" in n for n in notes), notes
    windows = client.get(f"{base}/windows", headers=admin, params={
        "from": "2027-02-01T00:00:00+03:00", "to": "2027-04-01T00:00:00+03:00"}).json()["items"]
    ramadan = next(w for w in windows if w["occasion"] == "ramadan")
    fitr = next(w for w in windows if w["occasion"] == "eid_al_fitr")
    assert ramadan["ends_at"] == fitr["starts_at"] or ramadan["ends_at"] <= fitr["starts_at"]
    assert not any(w["occasion"] == "ramadan" and w["ends_at"] > fitr["starts_at"]
                   for w in windows)


@pytest.mark.parametrize("body", [
    {"occasion": "eid_al_fitr", "kind": "off", "span": {"type": "hijri", "start": "01-01",
                                                          "end": "01-03"}},
    {"occasion": "national", "kind": "off", "span": {"type": "hijri", "start": "10-01",
                                                       "end": "10-03"}},
    {"occasion": "eid_al_adha", "kind": "off", "reply_slots": ["20:00-21:00"]},
    {"occasion": "ramadan", "kind": "reduced", "span": {"type": "weeks"}},
])
def test_a_span_that_makes_no_sense_is_a_422(client, admin, owner, frozen, body) -> None:  # noqa: ANN001
    base = f"/v1/owners/{owner['id']}/rules"
    before = client.get(base, headers=admin).json()["items"]
    refused = client.post(base, headers=admin, json=body)
    assert refused.status_code == 422, refused.text
    assert client.get(base, headers=admin).json()["items"] == before
