"""Advance notices, the back-from-leave digest, and the scheduled jobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

from sqlalchemy import select

from app.db import session_scope
from app.notices import jobs, service
from app.outbox.models import Delivery

# Wednesday 2030-06-26 10:00 Riyadh: a working hour. The leave starts 1 July.
NOW = datetime(2030, 6, 26, 7, 0, tzinfo=UTC)
LEAVE = {"kind": "off", "starts_at": "2030-07-01T00:00:00+03:00", "ends_at": "2030-07-08T00:00:00+03:00",
         "title": {"en": "Summer leave", "ar": "إجازة الصيف"}, "notice_days": 7}
SLACK = {"signing_secret": "s", "bot_token": "xoxb-T", "api_base_url": "http://127.0.0.1:9"}


def test_advance_notice_goes_once_to_recent_contacts_who_did_not_opt_out(client, admin, owner, sessions) -> None:
    base = f"/v1/owners/{owner['id']}"
    assert client.post(f"{base}/windows", json=LEAVE, headers=admin).status_code == 201
    ch = client.post(f"{base}/channels", json={"platform": "slack", "settings": SLACK}, headers=admin).json()
    from app.contacts.models import Contact

    with session_scope(sessions) as session:
        for i, (seen_days_ago, opted_out) in enumerate([(3, False), (30, False), (100, False), (3, True)]):
            session.add(Contact(id=f"c{i}", owner_id=owner["id"], channel="slack", address=f"U{i}",
                                name=f"Client {i}", language="en", client_key=f"c{i}", vip=False,
                                opted_out=opted_out, last_channel_id=ch["id"],
                                last_seen_at=NOW - timedelta(days=seen_days_ago),
                                reply_context={"channel": f"D{i}"}, created_at=NOW, updated_at=NOW))
    with mock.patch("app.clock.now", return_value=NOW):
        assert jobs.advance_notices(sessions) == 2
        assert jobs.advance_notices(sessions) == 0  # once per contact per window
    with sessions() as session:
        notices = list(session.scalars(select(Delivery).where(Delivery.kind == "notice")))
    assert sorted(d.payload["to"] for d in notices) == ["U0", "U1"]
    assert "Summer leave" in notices[0].payload["text"]
    # a client told in advance gets no second heads-up when they write
    with mock.patch("app.clock.now", return_value=NOW + timedelta(hours=1)):
        d = client.post(f"{base}/evaluate", headers=admin, json={
            "channel": "slack", "contact": {"address": "U0"}, "text": "hi",
            "received_at": (NOW + timedelta(hours=1)).isoformat()}).json()
    assert d["status"] == "available" and d["reply"] is None


def test_no_notice_outside_working_hours(client, admin, owner, sessions) -> None:
    assert client.post(f"/v1/owners/{owner['id']}/windows", json=LEAVE, headers=admin).status_code == 201
    friday = datetime(2030, 6, 28, 9, 0, tzinfo=UTC)
    with mock.patch("app.clock.now", return_value=friday):
        assert jobs.advance_notices(sessions) == 0


def test_digest_lists_who_wrote_urgent_first(client, admin, owner, sessions) -> None:
    base = f"/v1/owners/{owner['id']}"
    window = client.post(f"{base}/windows", json=LEAVE, headers=admin).json()
    for address, text, hour in (("calm@example.org", "hello", 10), ("panic@example.org", "URGENT help", 11),
                                ("calm@example.org", "hello again", 12)):
        client.post(f"{base}/evaluate", headers=admin, json={
            "contact": {"address": address}, "text": text,
            "received_at": f"2030-07-03T{hour}:00:00+03:00"})
    digest = client.get(f"{base}/digest", params={"window": window["id"]}, headers=admin)
    assert digest.status_code == 200, digest.text
    body = digest.json()
    assert body["clients"] == 2 and body["urgent"] == 1
    assert [e["address"] for e in body["entries"]] == ["panic@example.org", "calm@example.org"]
    assert body["entries"][1]["messages"] == 2 and body["entries"][1]["last_text"] == "hello again"
    assert "URGENT" in body["text"]
    assert client.get(f"{base}/digest", params={"window": "nope"}, headers=admin).status_code == 404


def test_back_digest_is_sent_to_the_owner_once(client, admin, owner, sessions) -> None:
    base = f"/v1/owners/{owner['id']}"
    client.post(f"{base}/windows", json=LEAVE, headers=admin)
    ch = client.post(f"{base}/channels", json={"platform": "slack", "settings": SLACK}, headers=admin).json()
    assert client.patch(base, json={"digest_to": {"channel_id": ch["id"], "address": "UOWNER"}},
                        headers=admin).status_code == 200
    client.post(f"{base}/evaluate", headers=admin, json={"contact": {"address": "a@example.org"},
                                                          "text": "hi", "received_at": "2030-07-03T10:00:00+03:00"})
    ended = datetime(2030, 7, 7, 22, 0, tzinfo=UTC)  # 01:00 Riyadh on the 8th
    with mock.patch("app.clock.now", return_value=ended):
        assert jobs.back_digests(sessions) == 1
        jobs.back_digests(sessions)
    with sessions() as session:
        digests = list(session.scalars(select(Delivery).where(Delivery.kind == "digest")))
    assert len(digests) == 1 and digests[0].payload["to"] == "UOWNER"
    assert "a@example.org" in digests[0].payload["text"]
    # the subject, like the text, in the owner's first language (it was "Ijaza digest")
    assert digests[0].payload["subject"].startswith("من راسلك خلال ")


def _wrote_during_leave(client, admin, owner, sessions, *, tell: bool) -> tuple[str, str]:  # noqa: ANN001
    """The owner on LEAVE with a Slack channel; three clients wrote during it: U0 and U1
    got an automatic reply, U2 opted out; U3 only wrote before it. Returns (owner path,
    channel id)."""
    base = f"/v1/owners/{owner['id']}"
    window = client.post(f"{base}/windows", json=LEAVE, headers=admin).json()
    ch = client.post(f"{base}/channels", json={"platform": "slack", "settings": SLACK},
                     headers=admin).json()
    assert client.patch(base, json={"tell_when_back": tell}, headers=admin).json()[
        "tell_when_back"] is tell
    from app.contacts.models import Contact

    with session_scope(sessions) as session:
        for i in range(4):
            session.add(Contact(id=f"c{i}", owner_id=owner["id"], channel="slack",
                                address=f"U{i}", name=f"Client {i}", language="en",
                                client_key=f"c{i}", vip=False, opted_out=False,
                                last_channel_id=ch["id"], last_seen_at=NOW,
                                reply_context={"channel": f"D{i}"}, created_at=NOW,
                                updated_at=NOW))
    # U3 wrote before the leave and got the heads-up about it: not "during it"
    heads_up = client.post(f"{base}/evaluate", headers=admin, json={
        "channel": "slack", "contact": {"address": "U3"}, "text": "hello",
        "received_at": "2030-06-26T10:00:00+03:00"}).json()
    assert heads_up["reply"] is not None and heads_up["status"] == "available"
    for i, text in enumerate(["hello", "are you there?", "STOP"]):
        for hour in (10, 11):  # the second message is throttled: still one client
            d = client.post(f"{base}/evaluate", headers=admin, json={
                "channel": "slack", "contact": {"address": f"U{i}"}, "text": text,
                "received_at": f"2030-07-0{3 + i}T{hour}:00:00+03:00"}).json()
            assert d["window"]["id"] == window["id"]
    return base, ch["id"]


BACK_SUNDAY = datetime(2030, 7, 7, 21, 0, tzinfo=UTC)  # midnight Riyadh: the leave is over
BACK_WORKING = datetime(2030, 7, 8, 6, 30, tzinfo=UTC)  # Monday 09:30 Riyadh: back at work


def test_clients_who_wrote_during_leave_hear_once_that_the_owner_is_back(client, admin, owner, sessions) -> None:
    base, _channel = _wrote_during_leave(client, admin, owner, sessions, tell=True)
    with mock.patch("app.clock.now", return_value=BACK_SUNDAY):
        assert jobs.back_messages(sessions) == 0  # over, but the owner is not working yet
    with mock.patch("app.clock.now", return_value=BACK_WORKING):
        assert jobs.back_messages(sessions) == 2
        assert jobs.back_messages(sessions) == 0  # once per client per window
    with sessions() as session:
        sent = sorted(session.scalars(select(Delivery).where(Delivery.kind == "back")),
                      key=lambda d: d.payload["to"])
    assert [d.payload["to"] for d in sent] == ["U0", "U1"]  # U2 opted out
    assert sent[0].payload["text"].split("\n")[0] in ("Dear Client 0,", "Hello Client 0,")
    assert any(words in sent[0].payload["text"] for words in ("back at work", "break is over"))
    assert "Monday 8 July (7 Rabi' al-Awwal), 4:30 PM" in sent[0].payload["text"]  # reply by: 4 working hours on
    assert sent[0].payload["context"] == {"channel": "D0"}
    events = client.get(f"{base}/events", headers=admin).json()["items"]
    assert sorted(e["contact_id"] for e in events if e["situation"] == "back") == ["c0", "c1"]


def test_no_back_message_unless_the_owner_asked_for_it_or_long_after(client, admin, owner, sessions) -> None:
    base, _channel = _wrote_during_leave(client, admin, owner, sessions, tell=False)
    with mock.patch("app.clock.now", return_value=BACK_WORKING):
        assert jobs.back_messages(sessions) == 0
    assert client.patch(base, json={"tell_when_back": True}, headers=admin).status_code == 200
    with mock.patch("app.clock.now", return_value=BACK_WORKING + timedelta(days=4)):
        assert jobs.back_messages(sessions) == 0  # the break ended too long ago
    with sessions() as session:
        assert session.scalar(select(Delivery).where(Delivery.kind == "back")) is None


def test_tell_when_back_is_a_boolean_and_off_by_default(client, admin, owner) -> None:
    base = f"/v1/owners/{owner['id']}"
    assert owner["tell_when_back"] is False
    bad = client.patch(base, json={"tell_when_back": "sometimes"}, headers=admin)
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    assert client.get(base, headers=admin).json()["tell_when_back"] is False
    assert client.patch(base, json={"tell_when_back": None}, headers=admin).json()[
        "tell_when_back"] is False  # null leaves it as it is


def test_materialise_all_is_idempotent(client, admin, owner, sessions) -> None:
    from app.windows.models import WindowRow

    with sessions() as session:
        first = sorted(session.scalars(select(WindowRow.id)))
    jobs.materialise_all(sessions)
    with sessions() as session:
        stamped = dict(session.execute(select(WindowRow.id, WindowRow.updated_at)).all())
    jobs.materialise_all(sessions)
    with sessions() as session:
        assert sorted(session.scalars(select(WindowRow.id))) == first
        # nothing moved, so nothing was rewritten
        assert dict(session.execute(select(WindowRow.id, WindowRow.updated_at)).all()) == stamped
    assert first and service is not None


def test_many_owners_at_once_get_the_windows_each_would_get_alone(client, admin, sessions) -> None:
    from app.owners.models import Owner
    from app.windows.computed import rematerialise, rematerialise_many
    from app.windows.models import WindowRow

    bodies = [{"id": f"o{i}", "name": f"Owner {i}", "timezone": zone, "country": country}
              for i, (country, zone) in enumerate([("SA", "Asia/Riyadh"), ("EG", "Africa/Cairo"),
                                                   ("MA", "Africa/Casablanca")])]
    for body in bodies:
        assert client.post("/v1/owners", json=body, headers=admin).status_code == 201

    def windows() -> dict[str, tuple]:
        with sessions() as session:
            return {r.id: (r.starts_at, r.ends_at, r.kind, r.occasion)
                    for r in session.scalars(select(WindowRow))}

    alone = windows()
    with session_scope(sessions) as session:
        session.execute(WindowRow.__table__.delete())
    with session_scope(sessions) as session:
        owners = list(session.scalars(select(Owner).order_by(Owner.id)))
        assert rematerialise_many(session, owners) == []
    assert windows() == alone and len({k.split(":")[0] for k in alone}) == 3
    with session_scope(sessions) as session:
        assert all(rematerialise(session, o) == [] for o in session.scalars(select(Owner)))
    assert windows() == alone


def test_scheduler_registers_idempotent_jobs(sessions) -> None:
    from app.notices.scheduler import build_scheduler

    scheduler = build_scheduler(sessions)
    assert {j.id for j in scheduler.get_jobs()} == {"materialise", "materialise-at-start",
                                                    "advance-notices", "back-digests",
                                                    "back-messages", "calendar-replan"}
