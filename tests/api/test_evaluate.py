"""POST /v1/owners/{owner}/evaluate: the decision, recorded (or not), end to end."""

from __future__ import annotations

import pytest

# Owner: Asia/Riyadh, Sun–Thu 09:00–13:00 & 16:00–20:00, PT4H, urgent contact set.
# 2030-07-03 is a Wednesday.
LEAVE = {"kind": "off", "starts_at": "2030-07-01T00:00:00+03:00",
         "ends_at": "2030-07-08T00:00:00+03:00", "title": {"en": "Summer leave", "ar": "إجازة الصيف"}}


def evaluate(client, auth, owner_id, **body):  # noqa: ANN001, ANN003, ANN201
    payload = {"contact": {"address": "amina@example.org", "name": "Amina"}, "text": "Hello"} | body
    response = client.post(f"/v1/owners/{owner_id}/evaluate", json=payload, headers=auth)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def on_leave(client, admin, owner):  # noqa: ANN001, ANN201
    created = client.post(f"/v1/owners/{owner['id']}/windows", json=LEAVE, headers=admin)
    assert created.status_code == 201
    return created.json()


def test_off_window_reply_back_at_and_throttle(client, admin, owner, on_leave) -> None:
    first = evaluate(client, admin, owner["id"], received_at="2030-07-03T11:00:00+03:00")
    assert first["status"] == "off"
    assert first["window"]["id"] == on_leave["id"]
    # back on Monday 8 July 09:00 (Sunday 7th is a working day: the window ends at 00:00 on the 8th)
    assert first["back_at"] == "2030-07-08T09:00:00+03:00"
    assert first["reply_by"] == "2030-07-08T13:00:00+03:00"
    assert first["reply"] is not None and first["suppressed"] is None
    assert first["reply"]["language"] == "en"
    assert "Amina" in first["reply"]["text"]

    second = evaluate(client, admin, owner["id"], received_at="2030-07-04T11:00:00+03:00",
                      text="Any news?")
    assert second["reply"] is None and second["suppressed"] == "throttled"
    events = client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"]
    assert [e["suppressed"] for e in events] == ["throttled", None]


def test_arabic_message_gets_an_arabic_reply(client, admin, owner, on_leave) -> None:
    d = evaluate(client, admin, owner["id"], received_at="2030-07-03T11:00:00+03:00",
                 contact={"address": "+966500000002", "name": "خالد"}, channel="whatsapp",
                 text="السلام عليكم، متى تعودون؟")
    assert d["reply"]["language"] == "ar"
    assert "خالد" in d["reply"]["text"]


def test_available_means_no_auto_reply(client, admin, owner) -> None:
    d = evaluate(client, admin, owner["id"], received_at="2030-07-03T10:00:00+03:00")
    assert d["status"] == "available"
    assert d["reply"] is None and d["suppressed"] is None
    assert d["back_at"] == "2030-07-03T10:00:00+03:00"
    assert d["reply_by"] == "2030-07-03T17:00:00+03:00"  # 3 h before 13:00, 1 h after 16:00


def test_outside_hours_then_once_per_reply_once_per(client, admin, owner) -> None:
    d = evaluate(client, admin, owner["id"], received_at="2030-07-03T14:00:00+03:00")
    assert d["status"] == "outside_hours"
    assert d["back_at"] == "2030-07-03T16:00:00+03:00"
    assert d["reply"] is not None
    again = evaluate(client, admin, owner["id"], received_at="2030-07-03T21:00:00+03:00")
    assert again["suppressed"] == "throttled"
    later = evaluate(client, admin, owner["id"], received_at="2030-07-09T21:00:00+03:00")
    assert later["reply"] is not None  # more than P4D later


def test_advance_notice_once_per_window(client, admin, owner) -> None:
    window = LEAVE | {"notice_days": 7}
    assert client.post(f"/v1/owners/{owner['id']}/windows", json=window, headers=admin).status_code == 201
    d = evaluate(client, admin, owner["id"], received_at="2030-06-26T10:00:00+03:00")
    assert d["status"] == "available"
    assert [w["kind"] for w in d["upcoming"]] == ["off"]
    assert d["reply"] is not None
    again = evaluate(client, admin, owner["id"], received_at="2030-06-27T10:00:00+03:00")
    assert again["reply"] is None and again["suppressed"] is None


def test_urgent_message_names_the_delegate(client, admin, owner, on_leave) -> None:
    d = evaluate(client, admin, owner["id"], received_at="2030-07-03T11:00:00+03:00",
                 text="ضروري جداً، الموقع متوقف")
    assert d["urgent"] is True
    assert owner["urgent_contact"].split()[0] in d["reply"]["text"]


def test_owner_activity_suppresses(client, admin, owner, on_leave) -> None:
    act = client.post(f"/v1/owners/{owner['id']}/activity",
                      json={"at": "2030-07-03T10:55:00+03:00"}, headers=admin)
    assert act.status_code == 201
    d = evaluate(client, admin, owner["id"], received_at="2030-07-03T11:00:00+03:00")
    assert d["suppressed"] == "owner_active" and d["reply"] is None
    later = evaluate(client, admin, owner["id"], received_at="2030-07-03T11:20:00+03:00")
    assert later["reply"] is not None


def test_dry_run_records_nothing(client, admin, owner, on_leave) -> None:
    d = evaluate(client, admin, owner["id"], received_at="2030-07-03T11:00:00+03:00", dry_run=True)
    assert d["reply"] is not None
    assert client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"] == []
    assert client.get(f"/v1/owners/{owner['id']}/contacts", headers=admin).json()["items"] == []
    real = evaluate(client, admin, owner["id"], received_at="2030-07-03T11:00:00+03:00")
    assert real["reply"] is not None  # the dry run did not use up the reply


def test_linked_contacts_share_one_reply(client, admin, owner, on_leave) -> None:
    base = f"/v1/owners/{owner['id']}/contacts"
    a = client.post(base, json={"channel": "email", "address": "amina@example.org"}, headers=admin).json()
    client.post(base, json={"channel": "whatsapp", "address": "+966500000009", "linked_to": a["id"]},
                headers=admin)
    first = evaluate(client, admin, owner["id"], channel="email", received_at="2030-07-03T11:00:00+03:00")
    second = evaluate(client, admin, owner["id"], channel="whatsapp",
                      contact={"address": "+966500000009"}, received_at="2030-07-03T12:00:00+03:00")
    assert first["reply"] is not None
    assert second["suppressed"] == "throttled"


def test_idempotency_key_answers_the_same_decision_once(client, admin, owner, on_leave) -> None:
    headers = admin | {"Idempotency-Key": "msg-42"}
    body = {"contact": {"address": "amina@example.org"}, "text": "hi",
            "received_at": "2030-07-03T11:00:00+03:00"}
    one = client.post(f"/v1/owners/{owner['id']}/evaluate", json=body, headers=headers).json()
    two = client.post(f"/v1/owners/{owner['id']}/evaluate", json=body, headers=headers).json()
    assert one == two and one["reply"] is not None
    events = client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"]
    assert len(events) == 1


def test_auto_submitted_email_is_not_answered(client, admin, owner, on_leave) -> None:
    d = evaluate(client, admin, owner["id"], channel="email", received_at="2030-07-03T11:00:00+03:00",
                 headers={"Auto-Submitted": "auto-replied"})
    assert d["suppressed"] == "auto_submitted" and d["reply"] is None


def test_opt_out_word_stops_replies(client, admin, owner, on_leave) -> None:
    d = evaluate(client, admin, owner["id"], received_at="2030-07-03T11:00:00+03:00", text="STOP")
    assert d["suppressed"] == "opted_out"


@pytest.mark.parametrize("body", [
    {"contact": {"address": "a@example.org"}, "received_at": "2030-07-03T11:00:00"},
    {"contact": {"name": "no address"}},
    {"contact": {"address": ""}},
    {"contact": {"address": "   "}},
    {"contact": {"address": "a@example.org", "language": "fr"}},
    {"contact": {"address": "a@example.org", "tone": "cheeky"}},
    {"contact": {"address": "a@example.org"}, "unexpected": 1},
])
def test_bad_input_is_422_and_records_nothing(client, admin, owner, body) -> None:
    response = client.post(f"/v1/owners/{owner['id']}/evaluate", json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"] == []
    assert client.get(f"/v1/owners/{owner['id']}/contacts", headers=admin).json()["items"] == []


def test_unknown_owner_is_404(client, admin) -> None:
    response = client.post("/v1/owners/ghost/evaluate", json={"contact": {"address": "a@b.c"}},
                           headers=admin)
    assert response.status_code == 404


def test_availability_endpoint(client, admin, owner, on_leave) -> None:
    r = client.get(f"/v1/owners/{owner['id']}/availability",
                   params={"at": "2030-07-03T11:00:00+03:00"}, headers=admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "off" and body["back_at"] == "2030-07-08T09:00:00+03:00"
    assert body["next_change"] == "2030-07-08T00:00:00+03:00"
    bad = client.get(f"/v1/owners/{owner['id']}/availability", params={"at": "2030-07-03T11:00:00"},
                     headers=admin)
    assert bad.status_code == 422


def test_templates_put_preview_and_hostile_template(client, admin, owner, on_leave) -> None:
    base = f"/v1/owners/{owner['id']}/templates/off/en/formal"
    default = client.get(base, headers=admin).json()
    assert default["custom"] is False and default["source"]
    put = client.put(base, json={"source": "Dear {{ contact_name or 'client' }}, back {{ back_at }}."},
                     headers=admin)
    assert put.status_code == 200 and put.json()["custom"] is True
    d = evaluate(client, admin, owner["id"], received_at="2030-07-03T11:00:00+03:00")
    assert d["reply"]["text"].startswith("Dear Amina, back ")
    preview = client.post(f"{base}/preview", json={"at": "2030-07-03T11:00:00+03:00",
                                                   "contact_name": "Sara"}, headers=admin)
    assert preview.status_code == 200 and preview.json()["text"].startswith("Dear Sara")
    for hostile in ("{{ ''.__class__.__mro__ }}", "{% for x in range(10**9) %}x{% endfor %}",
                    "{{ unknown_thing }}", "{% if %}"):
        bad = client.put(base, json={"source": hostile}, headers=admin)
        assert bad.status_code == 422, hostile
    assert client.get(base, headers=admin).json()["source"].startswith("Dear")


def test_the_answer_is_the_recorded_decision_with_its_event_id(client, admin, owner,  # noqa: ANN001
                                                               on_leave) -> None:
    # The recorded JSON is encoded once and answered with its event id added: the answer
    # and the audit trail say the same thing, key for key, Arabic text unescaped.
    response = client.post(f"/v1/owners/{owner['id']}/evaluate", headers=admin, json={
        "contact": {"address": "+966500000009", "name": "خالد"}, "channel": "whatsapp",
        "text": "السلام عليكم", "received_at": "2030-07-03T11:00:00+03:00"})
    assert response.status_code == 200
    answer = response.json()
    assert "خالد".encode() in response.content
    events = client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"]
    assert [e["decision"] for e in events] == [answer]
    assert answer["event_id"] == events[0]["id"] and answer["reply"]["text"]
    assert set(answer) == {"status", "at", "window", "back_at", "reply_by", "upcoming",
                           "urgent", "reply", "suppressed", "actions", "event_id",
                           "contact_id", "reason"}
