"""Group commit: messages that arrive together are decided and recorded in one transaction,
and the result is the same as deciding them one after another — one reply per client per
window, one event per platform delivery, and a bad message failing alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from app.channels.base import RawRequest
from app.domain.model import InboundMessage
from app.errors import NotFound, Unauthorized
from app.inbound.recorder import Delivery, Evaluation
from app.inbound.service import HookResult
from tests.api.test_hooks import SLACK, connect, counts, frozen_clock, on_leave  # noqa: F401
from tests.channels.conftest import sample

AT = datetime(2026, 5, 27, 8, 0, tzinfo=UTC)  # inside the hooks tests' leave (Eid al-Adha)


def message(address: str, text: str = "Hello, are you there?", **kw) -> InboundMessage:  # noqa: ANN003
    return InboundMessage(platform="api", address=address, text=text,
                          received_at=kw.pop("at", AT), **kw)


def raw(channel_id: str, name: str, **headers: str) -> RawRequest:
    s = sample(name)
    return RawRequest(method="POST", url=f"https://ijaza.example.com/hooks/{channel_id}",
                      headers={k.lower(): v for k, v in s.headers.items()} | headers,
                      query={}, body=s.body, received_at=AT)


def test_one_batch_decides_as_if_one_after_another(app, client, admin, owner, on_leave) -> None:  # noqa: F811
    recorder = app.state.recorder
    results = recorder.run([Evaluation(owner["id"], message("a@example.org"), False),
                            Evaluation(owner["id"], message("a@example.org", "Again?"), False),
                            Evaluation(owner["id"], message("b@example.org"), False)])
    first, again, other = results
    assert first.reply is not None and other.reply is not None
    assert again.reply is None and again.decision.suppressed == "throttled"
    assert first.contact.id == again.contact.id != other.contact.id
    ids = [r.event_id for r in results]
    assert len(set(ids)) == 3 and ids == sorted(ids)
    events, _ = counts(client, admin, owner)
    # newest first; each stored decision carries its own event's id
    assert [e["id"] for e in events] == ids[::-1]
    assert [e["decision"]["event_id"] for e in events] == ids[::-1]
    assert [e["suppressed"] for e in events] == [None, "throttled", None]
    # each outcome's event id names the row written for that very message
    by_id = {e["id"]: e for e in events}
    for result in results:
        assert by_id[result.event_id]["contact_id"] == result.contact.id
    assert [by_id[r.event_id]["text"] for r in results] == [
        "Hello, are you there?", "Again?", "Hello, are you there?"]


def test_a_bad_message_fails_alone_and_writes_nothing(app, client, admin, owner, on_leave) -> None:  # noqa: F811
    recorder = app.state.recorder
    before = recorder.batches
    results = recorder.run([
        Evaluation(owner["id"], message("a@example.org"), False),
        Evaluation(owner["id"], message("ancient@example.org", at=datetime(1800, 1, 1, tzinfo=UTC)),
                   False),
        Evaluation("no-such-owner", message("c@example.org"), False),
        Evaluation(owner["id"], message("b@example.org"), False)])
    good, ancient, unknown, other = results
    assert isinstance(ancient, Exception) and not isinstance(ancient, NotFound)
    assert isinstance(unknown, NotFound)
    assert good.event_id is not None and other.event_id is not None
    # the batch failed on the ancient date, and was then decided one message at a time
    assert recorder.batches - before == 1 + 4
    events, _ = counts(client, admin, owner)
    assert len(events) == 2
    contacts = client.get(f"/v1/owners/{owner['id']}/contacts", headers=admin).json()["items"]
    assert sorted(c["address"] for c in contacts) == ["a@example.org", "b@example.org"]


def test_one_slack_event_twice_in_a_batch_is_one_event_and_one_delivery(
        app, client, admin, owner, on_leave, frozen_clock) -> None:  # noqa: F811
    channel = connect(client, admin, owner, "slack", SLACK)
    recorder = app.state.recorder
    forged = raw(channel["id"], "slack_message_im", **{"x-slack-signature": "v0=" + "0" * 64})
    results = recorder.run([Delivery(channel["id"], raw(channel["id"], "slack_message_im")),
                            Delivery(channel["id"], raw(channel["id"], "slack_message_im_retry1")),
                            Delivery(channel["id"], forged),
                            Delivery("c_nope", raw(channel["id"], "slack_message_im"))])
    first, retry, rejected, unknown = results
    assert isinstance(first, HookResult) and first.handled == 1
    assert isinstance(retry, HookResult) and retry.handshake.status == 200
    assert isinstance(rejected, Unauthorized)
    assert isinstance(unknown, NotFound)
    events, deliveries = counts(client, admin, owner)
    assert len(events) == 1 and events[0]["decision"]["actions"] == ["queued"]
    assert len(deliveries) == 1 and deliveries[0]["kind"] == "reply"


@pytest.mark.parametrize("clients,repeats", [(24, 6)])
def test_concurrent_requests_share_commits_and_stay_exact(app, client, admin, owner, on_leave,  # noqa: F811
                                                          clients: int, repeats: int) -> None:
    recorder = app.state.recorder
    before = recorder.batches

    async def burst() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            bodies = [{"contact": {"address": f"client-{i}@example.org"}, "text": "Hello",
                       "received_at": AT.isoformat()} for i in range(clients)]
            bodies += [{"contact": {"address": "eager@example.org"}, "text": f"Hello {i}",
                        "received_at": AT.isoformat()} for i in range(repeats)]
            return await asyncio.gather(*(
                http.post(f"/v1/owners/{owner['id']}/evaluate", json=body, headers=admin)
                for body in bodies))

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [200] * (clients + repeats)
    decisions = [r.json() for r in responses]
    assert all(d["reply"] is not None for d in decisions[:clients])
    eager = decisions[clients:]
    assert sum(d["reply"] is not None for d in eager) == 1
    assert sorted(d["suppressed"] or "" for d in eager) == [""] + ["throttled"] * (repeats - 1)
    assert len({d["event_id"] for d in decisions}) == clients + repeats
    batches = recorder.batches - before
    assert 1 <= batches < clients + repeats  # messages shared transactions
    events, _ = counts(client, admin, owner)
    assert len(events) == min(50, clients + repeats)


def test_a_busy_connection_is_awaited_off_the_event_loop(app, client, admin, owner, on_leave) -> None:  # noqa: F811
    """A background job (relay, scheduler) holding SQLite's one connection must not stall
    the server: the batch waits for it on a worker thread and /healthz still answers."""
    engine = app.state.engine

    async def scenario() -> tuple[int, bool, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            held = await asyncio.to_thread(engine.connect)
            try:
                pending = asyncio.create_task(http.post(
                    f"/v1/owners/{owner['id']}/evaluate", headers=admin,
                    json={"contact": {"address": "late@example.org"}, "text": "Hello",
                          "received_at": AT.isoformat()}))
                await asyncio.sleep(0.3)
                health = await http.get("/healthz")
                waited = not pending.done()
            finally:
                await asyncio.to_thread(held.close)
            return health.status_code, waited, await pending

    health, waited, decided = asyncio.run(scenario())
    assert health == 200
    # SQLite has one pooled connection, so the decision waited for it; PostgreSQL has more.
    assert waited is (engine.dialect.name == "sqlite")
    assert decided.status_code == 200 and decided.json()["reply"] is not None


def _slack_event(event_id: str, user: str, text: str) -> tuple[bytes, dict[str, str]]:
    """A DM event signed as Slack signs it (the samples' secret and timestamp)."""
    import hashlib
    import hmac
    import json

    timestamp = str(int(AT.timestamp()))
    body = json.dumps({
        "token": "x", "team_id": "T061EG9R6", "api_app_id": "A0PNCHHK2",
        "type": "event_callback", "event_id": event_id, "event_time": int(AT.timestamp()),
        "event": {"type": "message", "channel": f"D{user}", "user": user, "text": text,
                  "ts": f"{int(AT.timestamp())}.000100", "channel_type": "im"}}).encode()
    base = f"v0:{timestamp}:".encode() + body
    signature = hmac.new(SLACK["signing_secret"].encode(), base, hashlib.sha256).hexdigest()
    return body, {"content-type": "application/json", "x-slack-request-timestamp": timestamp,
                  "x-slack-signature": f"v0={signature}"}


def test_two_replicas_answer_each_event_once_and_each_client_once(
        app, settings, client, admin, owner, on_leave, frozen_clock) -> None:  # noqa: F811
    """Two server processes on one database (own engine, pool and recorder each) receive
    every event twice, once each, all at once: one event per Slack event, one reply per
    client per window, every request answered 200."""
    from app.main import create_app

    channel = connect(client, admin, owner, "slack", SLACK)
    users = [f"U00000000{u}" for u in range(3)]
    deliveries = [_slack_event(f"Ev{u}{n:03d}", user, f"Hello {n}, are you there?")
                  for u, user in enumerate(users) for n in range(4)]
    replica = create_app(settings, background=False)

    async def scenario() -> list[httpx.Response]:
        clients = [httpx.AsyncClient(transport=httpx.ASGITransport(app=server),
                                     base_url="http://test") for server in (app, replica)]
        try:
            return await asyncio.gather(*(
                http.post(f"/hooks/{channel['id']}", content=body, headers=headers)
                for body, headers in deliveries for http in clients))
        finally:
            for http in clients:
                await http.aclose()

    try:
        responses = asyncio.run(scenario())
    finally:
        replica.state.engine.dispose()
    assert [r.status_code for r in responses] == [200] * (2 * len(deliveries))
    events, queued = counts(client, admin, owner)
    assert len(events) == len(deliveries)
    assert sorted(e["decision"]["contact_id"] is not None for e in events) == [True] * 12
    replies = [e for e in events if e["replied"]]
    assert len(replies) == len(users)  # once per client per window, whoever decided it
    assert len(queued) == len(users)
    assert sorted(d["to"] for d in queued) == users


def test_one_batch_writes_each_client_their_own_reply(app, client, admin, owner,  # noqa: ANN001
                                                      on_leave) -> None:  # noqa: F811
    # The dates and names of a reply are written once per batch and shared; each client
    # still gets their own name, and a client with none gets the nameless wording.
    results = app.state.recorder.run([
        Evaluation(owner["id"], message("a@example.org", name="Amina"), False),
        Evaluation(owner["id"], message("b@example.org", name="Bilal\u202e evil"), False),
        Evaluation(owner["id"], message("c@example.org"), False),
        Evaluation(owner["id"], message("d@example.org", "السلام عليكم", name="خالد"), False)])
    amina, bilal, nameless, khalid = (r.reply.text for r in results)
    assert "Amina" in amina and "Bilal" not in amina
    assert "Bilal evil" in bilal and "\u202e" not in bilal and "Amina" not in bilal
    assert "Amina" not in nameless and "Bilal" not in nameless
    assert khalid != amina and "خالد" in khalid and results[3].reply.language == "ar"
    # the names sit where a name goes: in the greeting line, nowhere else
    assert "Amina" in amina.split("\n")[0] and amina.count("Amina") == 1
    assert "Bilal evil" in bilal.split("\n")[0] and bilal.count("Bilal") == 1
    # each was recorded as that client's one reply in this window
    again = app.state.recorder.run([
        Evaluation(owner["id"], message("a@example.org", name="Amina"), True)])[0]
    assert again.reply is None and again.decision.suppressed == "throttled"


def test_a_window_retimed_in_one_session_is_written_with_its_new_dates(  # noqa: ANN001
        app, sessions, owner, on_leave) -> None:  # noqa: F811
    import dataclasses
    from datetime import timedelta

    from app.db import session_scope
    from app.owners.repository import get
    from app.replies import service as replies
    from app.windows.policy import policy_of

    with session_scope(sessions) as session:
        row = get(session, owner["id"])
        policy = policy_of(session, row, AT)
        window = policy.windows[0]
        later = dataclasses.replace(window, ends_at=window.ends_at + timedelta(days=2))
        back = later.ends_at  # the same return for both: only the window differs
        texts = [replies.render(session, row, policy, situation="off", language="en",
                                tone="formal", window=w, back_at=back,
                                reply_by=back + timedelta(hours=4),
                                source="{{ period_start }} – {{ period_end }}").text
                 for w in (window, later, window)]
    assert texts[0] == texts[2] != texts[1]


def test_a_request_cancelled_while_waiting_is_still_recorded(app, client, admin, owner,  # noqa: ANN001
                                                             on_leave) -> None:  # noqa: F811
    recorder = app.state.recorder

    async def go() -> object:
        gone = asyncio.create_task(recorder.evaluate(owner["id"], message("gone@example.org")))
        stays = asyncio.create_task(recorder.evaluate(owner["id"], message("stays@example.org")))
        await asyncio.sleep(0)  # both are queued
        gone.cancel()
        outcome = await stays
        with pytest.raises(asyncio.CancelledError):
            await gone
        return outcome

    outcome = asyncio.run(go())
    assert outcome.reply is not None and outcome.event_id is not None
    events, _ = counts(client, admin, owner)
    assert sorted(e["text"] for e in events) == ["Hello, are you there?"] * 2
    assert len({e["contact_id"] for e in events}) == 2
