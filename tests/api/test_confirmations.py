"""Confirmations off the request path: recorded at once, owners re-planned in batches
(each its own transaction), resumable, idempotent; withdrawal the same way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from unittest import mock

import pytest
from sqlalchemy import func, select, update

from app.contacts.models import Contact
from app.country_calendar import replan, service
from app.db import session_scope
from app.decisions.models import EventRow
from app.outbox.models import Delivery

TODAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
OWNERS = [f"eg{i}" for i in range(5)]


def _owner(owner_id: str) -> dict:
    return {"id": owner_id, "name": f"Owner {owner_id}", "timezone": "Africa/Cairo",
            "country": "EG", "languages": ["en"], "tone": "formal",
            "working_hours": {d: ["09:00-17:00"] for d in ("sun", "mon", "tue", "wed", "thu")},
            "response_time": "PT4H"}


@pytest.fixture
def frozen():  # noqa: ANN201
    with mock.patch("app.clock.now", return_value=TODAY):
        yield


@pytest.fixture
def egypt(client, admin, sessions, frozen) -> dict:  # noqa: ANN001
    """Five Egyptian owners, each of whose clients was told the predicted Eid dates; an
    owner elsewhere who must not be touched."""
    for owner_id in OWNERS:
        assert client.post("/v1/owners", json=_owner(owner_id), headers=admin).status_code == 201
    assert client.post("/v1/owners", json=_owner("sa0") | {"country": "SA",
                                                             "timezone": "Asia/Riyadh"},
                       headers=admin).status_code == 201
    window = _fitr_window(client, admin, OWNERS[0])
    at = (datetime.fromisoformat(window["starts_at"]) + timedelta(hours=11)).isoformat()
    for owner_id in OWNERS:
        told = client.post(f"/v1/owners/{owner_id}/evaluate", headers=admin, json={
            "contact": {"address": f"client@{owner_id}.example"}, "text": "Hello",
            "received_at": at}).json()
        assert told["status"] == "off"
        crm = client.post(f"/v1/owners/{owner_id}/channels", headers=admin, json={
            "platform": "generic", "settings": {"signing_secret": "g",
                                                "callback_url": "https://crm.example.com/cb"}})
        assert crm.status_code == 201, crm.text
        with session_scope(sessions) as session:  # the client last wrote through the CRM
            session.execute(update(Contact).where(Contact.owner_id == owner_id)
                            .values(last_channel_id=crm.json()["id"]))
    fitr = next(o for o in client.get("/v1/calendar/EG", params={"year": 2027}).json()["occasions"]
                if o["occasion"] == "eid_al_fitr")
    return {"window": window, "at": at, "later": (date.fromisoformat(fitr["date"])
                                                  + timedelta(days=1)).isoformat()}


def _fitr_window(client, admin, owner_id: str) -> dict:  # noqa: ANN001
    windows = client.get(f"/v1/owners/{owner_id}/windows", headers=admin, params={
        "from": "2027-02-01T00:00:00+02:00", "to": "2027-05-01T00:00:00+02:00"}).json()
    return next(w for w in windows["items"] if w["occasion"] == "eid_al_fitr")


def _back_at(client, admin, owner_id: str, at: str) -> str:  # noqa: ANN001
    return client.post(f"/v1/owners/{owner_id}/evaluate", headers=admin, json={
        "contact": {"address": "probe@example.org"}, "text": "Hello", "received_at": at,
        "dry_run": True}).json()["back_at"]


def _corrections(sessions) -> int:  # noqa: ANN001
    """Corrections recorded; each has its delivery (one key per client and new dates)."""
    with sessions() as session:
        events = session.scalar(select(func.count()).select_from(EventRow)
                                .where(EventRow.kind == "correction")) or 0
        queued = session.scalar(select(func.count()).select_from(Delivery)
                                .where(Delivery.kind == "correction")) or 0
    assert events == queued
    return queued


def test_confirmation_is_recorded_at_once_and_replanned_batch_by_batch(
        client, admin, sessions, egypt, frozen) -> None:  # noqa: ANN001
    old_back = _back_at(client, admin, OWNERS[0], egypt["at"])
    made = client.post("/v1/calendar/EG/confirmations", headers=admin,
                       json={"occasion": "eid_al_fitr", "date": egypt["later"]})
    assert made.status_code == 202, made.text
    body = made.json()
    assert made.headers["location"] == body["status_url"] == \
        f"/v1/calendar/EG/confirmations/{body['id']}"
    assert (body["status"], body["owners_total"], body["owners_done"],
            body["corrections_queued"]) == ("applying", 5, 0, 0)
    # nothing moved yet: the request did not re-plan anyone
    assert _fitr_window(client, admin, OWNERS[0])["starts_at"] == egypt["window"]["starts_at"]
    assert _corrections(sessions) == 0

    for done in (2, 4):
        with session_scope(sessions) as session:
            assert service.replan_batch(session, body["id"], batch=2) is True
        status = client.get(body["status_url"]).json()
        assert (status["status"], status["owners_done"]) == ("applying", done)
        # owners of a finished batch decide against the new dates; the others the old
        assert _back_at(client, admin, OWNERS[done - 1], egypt["at"]) != old_back
        assert _back_at(client, admin, OWNERS[done], egypt["at"]) == old_back
    with session_scope(sessions) as session:
        assert service.replan_batch(session, body["id"], batch=2) is False
    status = client.get(body["status_url"]).json()
    assert (status["status"], status["owners_total"], status["owners_done"],
            status["corrections_queued"]) == ("applied", 5, 5, 5)
    assert status["replanned_at"] is not None
    # every client of the five owners was told the old dates, none of them twice
    assert _corrections(sessions) == 5
    assert replan.apply_pending(sessions) == 0  # nothing left to do, nothing done twice
    assert _corrections(sessions) == 5
    assert _fitr_window(client, admin, "sa0")["source"] == "country"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(EventRow).where(
            EventRow.owner_id == "sa0")) == 0


def test_a_replan_interrupted_by_a_crash_resumes_where_it_stopped(
        client, admin, sessions, egypt, frozen) -> None:  # noqa: ANN001
    made = client.post("/v1/calendar/EG/confirmations", headers=admin,
                       json={"occasion": "eid_al_fitr", "date": egypt["later"]}).json()
    with session_scope(sessions) as session:
        service.replan_batch(session, made["id"], batch=2)
    # the process dies in the middle of the second batch: its transaction never commits
    with pytest.raises(RuntimeError), session_scope(sessions) as session:
        service.replan_batch(session, made["id"], batch=2)
        raise RuntimeError("killed")
    assert client.get(made["status_url"]).json()["owners_done"] == 2
    assert _corrections(sessions) == 2
    assert replan.apply_pending(sessions, batch=2) == 2  # the rest, from owner 3 on
    status = client.get(made["status_url"]).json()
    assert (status["status"], status["owners_done"], status["corrections_queued"]) == \
        ("applied", 5, 5)
    assert _corrections(sessions) == 5


def test_withdrawal_is_replanned_the_same_way(client, admin, sessions, egypt, frozen) -> None:  # noqa: ANN001
    made = client.post("/v1/calendar/EG/confirmations", headers=admin,
                       json={"occasion": "eid_al_fitr", "date": egypt["later"]}).json()
    replan.apply_pending(sessions)
    moved = _fitr_window(client, admin, OWNERS[0])["starts_at"]
    assert moved != egypt["window"]["starts_at"]
    gone = client.delete(f"/v1/calendar/EG/confirmations/{made['id']}", headers=admin)
    assert gone.status_code == 202
    assert gone.headers["location"] == made["status_url"]
    assert (gone.json()["status"], gone.json()["owners_done"]) == ("withdrawing", 0)
    assert _fitr_window(client, admin, OWNERS[0])["starts_at"] == moved  # not yet
    assert replan.apply_pending(sessions, batch=10) == 1
    status = client.get(made["status_url"]).json()
    assert (status["status"], status["owners_done"], status["corrections_queued"]) == \
        ("withdrawn", 5, 5)
    assert _fitr_window(client, admin, OWNERS[0])["starts_at"] == egypt["window"]["starts_at"]
    # a withdrawn confirmation cannot be withdrawn again; unknown ids are 404
    assert client.delete(made["status_url"], headers=admin).status_code == 404
    assert client.get("/v1/calendar/EG/confirmations/999999").status_code == 404
    assert client.get(f"/v1/calendar/SA/confirmations/{made['id']}").status_code == 404


def test_a_newer_confirmation_supersedes_one_still_applying(client, admin, sessions, egypt,
                                                            frozen) -> None:  # noqa: ANN001
    first = client.post("/v1/calendar/EG/confirmations", headers=admin,
                        json={"occasion": "eid_al_fitr", "date": egypt["later"]}).json()
    day = date.fromisoformat(egypt["later"]) - timedelta(days=1)
    second = client.post("/v1/calendar/EG/confirmations", headers=admin,
                         json={"occasion": "eid_al_fitr", "date": day.isoformat()}).json()
    assert client.get(first["status_url"]).json()["status"] == "superseded"
    replan.apply_pending(sessions)
    assert client.get(second["status_url"]).json()["status"] == "applied"
    assert _fitr_window(client, admin, OWNERS[0])["starts_at"].startswith(day.isoformat())


def test_each_correction_is_recorded_once_and_its_delivery_points_at_its_event(
        client, admin, sessions, egypt, frozen) -> None:  # noqa: ANN001
    made = client.post("/v1/calendar/EG/confirmations", headers=admin,
                       json={"occasion": "eid_al_fitr", "date": egypt["later"]}).json()
    # batches of two owners: each batch's corrections are written together
    assert replan.apply_pending(sessions, batch=2) == 3
    with sessions() as session:
        events = {e.id: e for e in session.scalars(
            select(EventRow).where(EventRow.kind == "correction"))}
        deliveries = list(session.scalars(select(Delivery).where(Delivery.kind == "correction")))
    assert len(deliveries) == len(events) == 5
    assert {e.owner_id for e in events.values()} == set(OWNERS)
    for delivery in deliveries:
        event = events[delivery.event_id]
        # the key names the window, its new dates and the client; the event is that client's
        assert delivery.owner_id == event.owner_id
        assert delivery.idempotency_key.startswith(f"correction:{event.window_id}:")
        assert delivery.idempotency_key.endswith(f":{event.client_key}")
        assert delivery.payload["text"] == event.reply_text and event.reply_text
    assert client.get(made["status_url"]).json()["corrections_queued"] == 5


def test_a_batch_stops_before_the_owner_whose_clients_would_make_it_too_long(
        client, admin, sessions, egypt, frozen) -> None:  # noqa: ANN001
    made = client.post("/v1/calendar/EG/confirmations", headers=admin,
                       json={"occasion": "eid_al_fitr", "date": egypt["later"]}).json()
    done = []
    with mock.patch.object(service, "CORRECTIONS_PER_BATCH", 2):
        more = True
        while more:
            # room for ten owners, but each owner's client was told: two owners a batch
            with session_scope(sessions) as session:
                more = service.replan_batch(session, made["id"], batch=10)
            done.append(client.get(made["status_url"]).json()["owners_done"])
    assert done == [2, 4, 5]
    status = client.get(made["status_url"]).json()
    assert (status["status"], status["corrections_queued"]) == ("applied", 5)
    assert _corrections(sessions) == 5


def test_a_preview_re_plans_at_most_its_owners_and_estimates_the_rest(
        client, admin, sessions, egypt, frozen) -> None:  # noqa: ANN001
    day = date.fromisoformat(egypt["later"])
    args = {"hijri_year": None, "force": False, "note": None, "by": "test"}
    with session_scope(sessions) as session:
        whole = service.preview(session, "EG", "eid_al_fitr", day, **args)
        part = service.preview(session, "EG", "eid_al_fitr", day, owners=2, **args)
    assert whole.complete and (whole.owners, whole.owners_checked) == (5, 5)
    assert whole.windows >= 5 and whole.corrections == 5  # one told client per owner
    assert whole.estimate(whole.corrections) == 5
    assert not part.complete and (part.owners, part.owners_checked) == (5, 2)
    assert part.corrections == 2 and part.estimate(part.corrections) == 5
    assert part.estimate(part.windows) == round(part.windows * 5 / 2)
    # Nothing is kept: no confirmation, no correction, every window where it was.
    assert client.get("/v1/calendar/EG/confirmations", headers=admin).json()["items"] == []
    assert _corrections(sessions) == 0
    assert _fitr_window(client, admin, OWNERS[4])["starts_at"] == egypt["window"]["starts_at"]
