"""The outbox relay against local servers that play the platforms (and fail on demand)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import event, select, update

from app import clock
from app.db import session_scope
from app.outbox.models import Delivery, DeliveryAttempt
from app.outbox.relay import MAX_IN_FLIGHT, Pacer, Relay
from tests.fakes import FakePlatform, Reply, SmtpRecorder


@pytest.fixture
def away(client, admin, owner):  # noqa: ANN001, ANN201
    """The owner is off from yesterday for a month, whatever today is."""
    now = clock.now()
    leave = {"kind": "off", "starts_at": (now - timedelta(days=1)).isoformat(),
             "ends_at": (now + timedelta(days=30)).isoformat(), "title": {"en": "Leave", "ar": "إجازة"}}
    assert client.post(f"/v1/owners/{owner['id']}/windows", json=leave, headers=admin).status_code == 201
    return owner


def channel(client, admin, owner, platform, settings):  # noqa: ANN001, ANN201
    r = client.post(f"/v1/owners/{owner['id']}/channels", json={"platform": platform, "settings": settings},
                    headers=admin)
    assert r.status_code == 201, r.text
    return r.json()


def enqueue(sessions, owner_id, channel_id, platform, n=1, context=None):  # noqa: ANN001, ANN201
    from app.outbox.service import enqueue as put

    with session_scope(sessions) as session:
        for i in range(n):
            put(session, owner_id=owner_id, channel_id=channel_id, platform=platform, kind="reply",
                key=f"test:{channel_id}:{i}", now=clock.now(),
                payload={"to": f"U{i}", "text": f"hello {i}",
                         "context": (context or {"channel": f"D{i}"}) | {"n": i}})


def relay(sessions, settings, **overrides):  # noqa: ANN001, ANN003, ANN201
    s = settings.model_copy(update={"send_timeout_seconds": 1.0, **overrides})
    http = httpx.AsyncClient(timeout=httpx.Timeout(s.send_timeout_seconds))
    return Relay(sessions, http, s), http


def run(r_and_http, rounds=1):  # noqa: ANN001, ANN201
    relay_, http = r_and_http

    async def go() -> int:
        total = 0
        for _ in range(rounds):
            total += await relay_.run_once()
        await http.aclose()
        return total

    return asyncio.run(go())


def rows(sessions):  # noqa: ANN001, ANN201
    with sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def make_due(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        session.execute(update(Delivery).values(next_attempt_at=clock.now() - timedelta(seconds=1)))


SLACK = {"signing_secret": "s", "bot_token": "xoxb-T"}


def test_sends_once_with_the_token_and_records_the_attempt(client, admin, away, sessions, settings) -> None:
    with FakePlatform() as fake:
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack")
        assert run(relay(sessions, settings)) == 1
        assert run(relay(sessions, settings)) == 0
    [request] = fake.requests
    assert request.path == "/chat.postMessage"
    assert request.headers["authorization"] == "Bearer xoxb-T"
    assert request.json() == {"channel": "D0", "text": "hello 0"}
    [row] = rows(sessions)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    with sessions() as session:
        [attempt] = session.scalars(select(DeliveryAttempt)).all()
    assert attempt.ok and attempt.delivery_id == row.id


def test_5xx_then_success_backs_off(client, admin, away, sessions, settings) -> None:
    with FakePlatform() as fake:
        fake.plan.extend([Reply(status=503), Reply(status=502)])
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack")
        run(relay(sessions, settings))
        [row] = rows(sessions)
        assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at > clock.now()
        assert run(relay(sessions, settings)) == 0  # not due yet
        make_due(sessions)
        run(relay(sessions, settings))
        make_due(sessions)
        run(relay(sessions, settings))
    [row] = rows(sessions)
    assert row.status == "sent" and row.attempts == 3 and len(fake.requests) == 3


def test_429_retry_after_is_honoured(client, admin, away, sessions, settings) -> None:
    with FakePlatform() as fake:
        fake.plan.append(Reply(status=429, headers={"Retry-After": "120"}))
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack")
        run(relay(sessions, settings))
    [row] = rows(sessions)
    assert row.status == "pending"
    assert row.next_attempt_at >= clock.now() + timedelta(seconds=115)


def test_permanent_error_is_dead_and_retry_endpoint_revives_it(client, admin, away, sessions, settings) -> None:
    with FakePlatform() as fake:
        fake.plan.append(Reply(status=200, body={"ok": False, "error": "channel_not_found"}))
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack")
        run(relay(sessions, settings))
        [row] = rows(sessions)
        assert row.status == "dead" and row.last_error == "channel_not_found"
        dead = client.get(f"/v1/owners/{away['id']}/deliveries", params={"status": "dead"}, headers=admin)
        assert [d["id"] for d in dead.json()["items"]] == [row.id]
        detail = client.get(f"/v1/owners/{away['id']}/deliveries/{row.id}", headers=admin).json()
        assert detail["history"][0]["error"] == "channel_not_found"
        revived = client.post(f"/v1/owners/{away['id']}/deliveries/{row.id}/retry", headers=admin)
        assert revived.status_code == 200 and revived.json()["status"] == "pending"
        run(relay(sessions, settings))
    assert rows(sessions)[0].status == "sent"
    again = client.post(f"/v1/owners/{away['id']}/deliveries/{row.id}/retry", headers=admin)
    assert again.status_code == 409


def test_dead_after_the_last_attempt(client, admin, away, sessions, settings) -> None:
    with FakePlatform(default=Reply(status=500)) as fake:
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack")
        for _ in range(3):
            make_due(sessions)
            run(relay(sessions, settings, relay_max_attempts=3))
    [row] = rows(sessions)
    assert row.status == "dead" and row.attempts == 3 and len(fake.requests) == 3


def test_timeout_is_retryable(client, admin, away, sessions, settings) -> None:
    with FakePlatform() as fake:
        fake.plan.append(Reply(delay=2.0))
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack")
        run(relay(sessions, settings))
    [row] = rows(sessions)
    assert row.status == "pending" and "timeout" in (row.last_error or "")


def test_a_dead_workers_claim_is_taken_over(client, admin, away, sessions, settings) -> None:
    with FakePlatform() as fake:
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack", n=2)
        with session_scope(sessions) as session:
            session.execute(update(Delivery).values(status="sending", claimed_by="dead-worker",
                                                    claimed_until=clock.now() + timedelta(minutes=5)))
        assert run(relay(sessions, settings)) == 0  # still held
        with session_scope(sessions) as session:
            session.execute(update(Delivery).values(claimed_until=clock.now() - timedelta(seconds=1)))
        assert run(relay(sessions, settings)) == 2
    assert {r.status for r in rows(sessions)} == {"sent"}
    assert len(fake.requests) == 2


async def _paced(pacer: Pacer, sends: int) -> list[float]:
    """When each of ``sends`` waits on the pacer ends (event-loop time)."""
    loop = asyncio.get_running_loop()
    times = []
    for _ in range(sends):
        await pacer.wait()
        times.append(loop.time())
    return times


def test_pacer_never_exceeds_the_rate() -> None:
    times = asyncio.run(_paced(Pacer(rate=20.0), 30))
    for i in range(len(times) - 20):
        assert times[i + 20] - times[i] >= 1.0 - 1e-3  # never 21 in one second
    assert times[-1] - times[0] < 30 / 20 + 0.5  # and not much slower than the rate


def test_telegram_whatsapp_and_generic_sends(client, admin, away, sessions, settings) -> None:
    with FakePlatform() as fake:
        tg = channel(client, admin, away, "telegram", {"secret_token": "t", "bot_token": "123:ABC",
                                                       "api_base_url": fake.url})
        wa = channel(client, admin, away, "whatsapp", {"app_secret": "a", "verify_token": "v",
                                                       "access_token": "EAA", "phone_number_id": "555",
                                                       "api_base_url": fake.url})
        gen = channel(client, admin, away, "generic", {"signing_secret": "g",
                                                       "callback_url": fake.url + "/cb"})
        enqueue(sessions, away["id"], tg["id"], "telegram", context={"chat_id": 7, "message_id": 1})
        enqueue(sessions, away["id"], wa["id"], "whatsapp", context={"to": "+9665", "phone_number_id": "555"})
        enqueue(sessions, away["id"], gen["id"], "generic", context={"to": "crm-1"})
        run(relay(sessions, settings))
    paths = sorted(r.path for r in fake.requests)
    assert paths == ["/555/messages", "/bot123:ABC/sendMessage", "/cb"]
    callback = next(r for r in fake.requests if r.path == "/cb")
    assert callback.headers["x-ijaza-signature"].startswith("t=")
    assert json.loads(callback.body)["text"] == "hello 0"
    assert {r.status for r in rows(sessions)} == {"sent"}


def test_email_reply_goes_through_smtp(client, admin, away, sessions, settings) -> None:
    with SmtpRecorder() as smtp:
        ch = channel(client, admin, away, "email", {"provider": "mime", "token": "t", "smtp_host": "127.0.0.1",
                                                    "smtp_port": smtp.port, "from_address": "me@example.com"})
        enqueue(sessions, away["id"], ch["id"], "email",
                context={"to": "amina@example.org", "message_id": "<m1@x>", "subject": "Hi"})
        run(relay(sessions, settings))
        [envelope] = smtp.messages
    assert envelope.rcpt_tos == ["amina@example.org"]
    assert b"Auto-Submitted: auto-replied" in envelope.content
    assert rows(sessions)[0].status == "sent"


def test_urgent_message_is_forwarded_to_the_delegate_once(client, admin, away, sessions, settings) -> None:
    with FakePlatform() as fake:
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        patched = client.patch(f"/v1/owners/{away['id']}", headers=admin,
                               json={"delegate": {"name": "Omar", "channel_id": ch["id"], "address": "UOMAR"}})
        assert patched.status_code == 200, patched.text
        body = {"contact": {"address": "amina@example.org", "name": "Amina"}, "text": "URGENT: site down"}
        d = client.post(f"/v1/owners/{away['id']}/evaluate", json=body, headers=admin).json()
        assert d["urgent"] and d["actions"] == ["forwarded_to_delegate"]
        again = client.post(f"/v1/owners/{away['id']}/evaluate", json=body, headers=admin).json()
        assert again["urgent"]
        run(relay(sessions, settings))
    forwards = [r for r in rows(sessions) if r.kind == "forward"]
    assert len(forwards) == 2  # one per urgent message, never two for one message
    assert all(r.status == "sent" for r in forwards)
    assert "site down" in fake.requests[0].json()["text"]
    assert fake.requests[0].json()["channel"] == "UOMAR"


def test_two_relays_never_send_one_delivery_twice(client, admin, away, sessions, settings) -> None:
    """Several replicas on one database: rows are claimed (SKIP LOCKED on PostgreSQL), so
    every delivery goes out exactly once."""
    with FakePlatform() as fake:
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack", n=60)
        s = settings.model_copy(update={"relay_batch": 7})
        s = s.model_copy(update={"rate_limits": s.rate_limits.model_copy(update={"slack": 1000.0})})

        async def go() -> None:
            async with httpx.AsyncClient() as http:
                relays = [Relay(sessions, http, s, worker=f"w{i}") for i in range(3)]
                for _ in range(40):
                    handled = await asyncio.gather(*(r.run_once() for r in relays))
                    if not any(handled):
                        break

        asyncio.run(go())
    sent = [json.loads(r.body)["text"] for r in fake.requests]
    assert len(sent) == 60 == len(set(sent))
    assert {r.status for r in rows(sessions)} == {"sent"}


def test_pacer_takes_a_new_rate_at_once() -> None:
    async def go() -> list[float]:
        pacer = Pacer(rate=40.0)
        await _paced(pacer, 40)  # a full window at the old rate
        pacer.set_rate(10.0)  # another relay started: half of 20 each
        return [asyncio.get_running_loop().time(), *await _paced(pacer, 15)]

    times = asyncio.run(go())
    for i in range(len(times) - 10):
        assert times[i + 10] - times[i] >= 1.0 - 1e-3  # never 11 in one second at 10/s


def test_relays_running_at_once_each_take_their_share(sessions, settings) -> None:  # noqa: ANN001
    from app.outbox.models import RelayPresence

    s = settings.model_copy(update={"rate_limits": settings.rate_limits.model_copy(
        update={"slack": 30.0})})
    relays = [Relay(sessions, httpx.AsyncClient(), s, worker=f"r{i}") for i in range(3)]

    async def announce_all() -> list[int]:
        for r in relays:
            await r.announce()
        return [r.running for r in relays]

    assert asyncio.run(announce_all()) == [1, 2, 3]  # each sees those announced before it
    assert asyncio.run(announce_all()) == [3, 3, 3]
    assert [r.rate("slack") for r in relays] == [10.0, 10.0, 10.0]
    assert relays[0].pacer("slack").capacity == 10
    relays[2]._withdraw()  # a relay that stops gives its share back at once
    with session_scope(sessions) as session:  # one that died is forgotten once silent
        session.get(RelayPresence, "r1").seen_at = clock.now() - timedelta(seconds=7)
    asyncio.run(relays[0].announce())
    assert relays[0].running == 1 and relays[0].rate("slack") == 30.0
    assert relays[0].pacer("slack").capacity == 30
    with session_scope(sessions) as session:
        session.add(RelayPresence(worker="gone", seen_at=clock.now() - timedelta(minutes=2)))
    asyncio.run(relays[0].announce())
    with sessions() as session:
        assert {p.worker for p in session.scalars(select(RelayPresence))} == {"r0", "r1"}


def test_two_running_relays_together_stay_under_the_limit(client, admin, away, sessions, settings,
                                                           monkeypatch) -> None:  # noqa: ANN001
    """Two relays (two replicas) running at once: the platform never sees more than the
    limit in any second, and every delivery goes out once."""
    from app.outbox import relay as relay_module

    monkeypatch.setattr(relay_module, "ANNOUNCE_SECONDS", 0.3)
    with FakePlatform() as fake:
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack", n=50)
        s = settings.model_copy(update={"relay_poll_seconds": 0.05, "rate_limits":
                                        settings.rate_limits.model_copy(update={"slack": 20.0})})

        async def go() -> list[int]:
            async with httpx.AsyncClient() as http:
                relays = [Relay(sessions, http, s, worker=f"w{i}") for i in range(2)]
                tasks = [asyncio.create_task(r.run_forever()) for r in relays]
                for _ in range(200):
                    await asyncio.sleep(0.05)
                    if len(fake.requests) >= 50:
                        break
                await asyncio.sleep(0.3)
                running = [r.running for r in relays]
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                return running

        running = asyncio.run(go())
    assert running == [2, 2]
    sent = [json.loads(r.body)["text"] for r in fake.requests]
    assert len(sent) == 50 == len(set(sent))
    arrivals = sorted(r.at for r in fake.requests)
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    assert busiest <= 20
    assert arrivals[-1] - arrivals[0] >= 49 / 20 - 0.2  # at the shared rate, not twice it
    with sessions() as session:  # both withdrew when they stopped
        from app.outbox.models import RelayPresence

        assert session.scalar(select(RelayPresence)) is None


def test_paced_sends_stay_within_the_rate_where_they_arrive() -> None:
    """A send reaches the platform some time after the pacer lets it go (a busy event
    loop, the network): a delay of 50 ms (what three relays on two busy cores showed) still
    keeps every second at the platform within the rate — the platform counts arrivals."""
    rate, late = 20, 0.05
    times = asyncio.run(_paced(Pacer(rate=float(rate)), 45))
    # the worst case for the platform: one second's sends all late by the whole slack,
    # the next second's on time
    arrivals = sorted(t + (late if (i // rate) % 2 == 0 else 0.0)
                      for i, t in enumerate(times))
    for i in range(len(arrivals) - rate):
        assert arrivals[i + rate] - arrivals[i] >= 1.0 - 1e-3  # never 21 arrive in a second
    assert times[-1] - times[0] < 44 / rate * 1.1  # and the rate is still reached


def test_sends_ending_together_are_recorded_in_one_transaction(client, admin, away, sessions,  # noqa: ANN001
                                                               settings) -> None:
    """The outcomes of sends that end within FINISH_GATHER_SECONDS are written together:
    each delivery still gets its attempt and its status, with far fewer transactions."""
    with FakePlatform() as fake:
        # Answered together by construction, not by the machine's speed: the relay's 16 in
        # flight at once, then the other 8.
        fake.answer_in_groups(MAX_IN_FLIGHT, 24 - MAX_IN_FLIGHT)
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack", n=24)
        s = settings.model_copy(update={"rate_limits": settings.rate_limits.model_copy(
            update={"slack": 1000.0})})
        commits: list[int] = []
        engine = sessions.kw["bind"]
        listener = lambda conn: commits.append(1)  # noqa: E731
        event.listen(engine, "commit", listener)
        try:
            assert run(relay(sessions, s, send_timeout_seconds=10.0)) == 24
        finally:
            event.remove(engine, "commit", listener)
    assert len(fake.requests) == 24
    assert {r.status for r in rows(sessions)} == {"sent"}
    with sessions() as session:
        attempts = session.scalars(select(DeliveryAttempt.delivery_id)).all()
    assert sorted(attempts) == [r.id for r in rows(sessions)]  # one attempt each
    assert len(commits) < 12  # the claim and a few gathered records, not one per send
