"""The owner's name and signature per reply language: an English client is not signed off
in Arabic only, and an Arabic one reads the Arabic name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

ARABIC_NAME = "استوديو نخلة"


def _leave(client, admin, owner_id: str) -> str:  # noqa: ANN001
    now = datetime.now(UTC)
    made = client.post(f"/v1/owners/{owner_id}/windows", headers=admin, json={
        "kind": "off", "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=4)).isoformat(), "title": {"en": "Family leave",
                                                                   "ar": "إجازة عائلية"}})
    assert made.status_code == 201, made.text
    return now.isoformat()


def _reply(client, admin, owner_id: str, language: str, channel: str, at: str) -> str:  # noqa: ANN001
    decision = client.post(f"/v1/owners/{owner_id}/evaluate", headers=admin, json={
        "channel": channel, "dry_run": True, "received_at": at, "text": "hello",
        "contact": {"address": f"client-{language}@example.org", "name": "Sam",
                    "language": language}})
    assert decision.status_code == 200, decision.text
    return decision.json()["reply"]["text"]


def test_each_language_gets_its_own_name_and_signature(client, admin, owner) -> None:  # noqa: ANN001
    changed = client.patch(f"/v1/owners/{owner['id']}", headers=admin, json={
        "name": ARABIC_NAME, "names": {"en": "Nakhla Studio"},
        "signatures": {"ar": "ليلى من استوديو نخلة"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["names"] == {"en": "Nakhla Studio"}
    at = _leave(client, admin, owner["id"])
    for channel in ("email", "whatsapp"):
        english = _reply(client, admin, owner["id"], "en", channel, at)
        assert "Nakhla Studio" in english and ARABIC_NAME not in english
        arabic = _reply(client, admin, owner["id"], "ar", channel, at)
        assert "ليلى من استوديو نخلة" in arabic and "Nakhla Studio" not in arabic


def test_without_a_name_for_the_language_the_name_is_used(client, admin, owner) -> None:  # noqa: ANN001
    assert client.patch(f"/v1/owners/{owner['id']}", headers=admin,
                        json={"name": ARABIC_NAME, "names": None}).status_code == 200
    at = _leave(client, admin, owner["id"])
    assert ARABIC_NAME in _reply(client, admin, owner["id"], "en", "email", at)


def test_names_only_for_languages_replies_are_written_in(client, admin, owner) -> None:  # noqa: ANN001
    before = client.get(f"/v1/owners/{owner['id']}", headers=admin).json()
    for bad in ({"fr": "Studio"}, {"en": ""}, {"en": "x" * 201}, ["Nakhla"]):
        refused = client.patch(f"/v1/owners/{owner['id']}", headers=admin, json={"names": bad})
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/v1/owners/{owner['id']}", headers=admin).json() == before
