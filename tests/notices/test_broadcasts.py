"""Broadcasts planned set-based and committed in batches: the statements per batch do not
grow with the clients in it, and an interrupted run resumes without telling anyone twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from sqlalchemy import event, func, select

from app.contacts.models import Contact
from app.db import session_scope
from app.notices import jobs, service
from app.outbox.models import Delivery

NOW = datetime(2030, 6, 26, 7, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Riyadh
LEAVE = {"kind": "off", "starts_at": "2030-07-01T00:00:00+03:00",
         "ends_at": "2030-07-08T00:00:00+03:00", "title": {"en": "Summer leave"},
         "notice_days": 7}
SLACK = {"signing_secret": "s", "bot_token": "xoxb-T", "api_base_url": "http://127.0.0.1:9"}


def _clients(client, admin, owner, sessions, n: int, start: int = 0) -> None:  # noqa: ANN001
    channel = client.get(f"/v1/owners/{owner['id']}/channels", headers=admin).json()["items"]
    if not channel:
        channel = [client.post(f"/v1/owners/{owner['id']}/channels", headers=admin,
                               json={"platform": "slack", "settings": SLACK}).json()]
    with session_scope(sessions) as session:
        for i in range(start, start + n):
            session.add(Contact(id=f"c{i:04d}", owner_id=owner["id"], channel="slack",
                                address=f"U{i:04d}", name=f"Client {i}", language="en",
                                client_key=f"k{i:04d}", vip=False, opted_out=False,
                                last_channel_id=channel[0]["id"],
                                last_seen_at=NOW - timedelta(days=1),
                                reply_context={"channel": f"D{i}"}, created_at=NOW,
                                updated_at=NOW))


def _notices(sessions) -> list[str]:  # noqa: ANN001
    with sessions() as session:
        return list(session.scalars(select(Delivery.idempotency_key)
                                    .where(Delivery.kind == "notice")))


@pytest.fixture
def leave(client, admin, owner) -> dict:  # noqa: ANN001
    made = client.post(f"/v1/owners/{owner['id']}/windows", json=LEAVE, headers=admin)
    assert made.status_code == 201
    return made.json()


def test_an_interrupted_run_resumes_and_tells_nobody_twice(client, admin, owner, leave,
                                                           sessions) -> None:  # noqa: ANN001
    _clients(client, admin, owner, sessions, 7)
    real = service.notify_audience_batch
    calls = []

    def dies_on_the_second_batch(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("leader killed")
        return real(*args, **kwargs)

    with mock.patch("app.clock.now", return_value=NOW):
        with mock.patch.object(service, "notify_audience_batch", dies_on_the_second_batch), \
                pytest.raises(RuntimeError):
            jobs.advance_notices(sessions, batch=3)
        assert len(_notices(sessions)) == 3  # the first batch was committed
        assert jobs.advance_notices(sessions, batch=3) == 4  # the next leader: the rest
        assert jobs.advance_notices(sessions, batch=3) == 0
    keys = _notices(sessions)
    assert sorted(keys) == sorted({f"notice:{leave['id']}:k{i:04d}" for i in range(7)})


def _statements(engine, run) -> int:  # noqa: ANN001
    seen: list[str] = []

    def count(*args) -> None:  # noqa: ANN002
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_a_batch_costs_the_same_statements_for_five_clients_as_for_fifty(
        client, admin, owner, leave, sessions, engine) -> None:  # noqa: ANN001
    def batch() -> int:
        with mock.patch("app.clock.now", return_value=NOW), session_scope(sessions) as session:
            queued, _ = service.notify_audience_batch(session, leave["id"], NOW, after=None,
                                                      batch=500)
        return queued

    _clients(client, admin, owner, sessions, 5)
    few = _statements(engine, batch)
    _clients(client, admin, owner, sessions, 50, start=5)
    many = _statements(engine, batch)
    assert few == many  # not one statement per client
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 55
