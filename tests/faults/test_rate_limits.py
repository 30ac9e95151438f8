"""Per-key and per-channel rate limits: 429 with Retry-After, one noisy caller does not
starve the others, and the counts are shared by replicas through the database."""

from __future__ import annotations

import json
import time

import pytest

from app.channels.generic import sign
from app.db import session_scope
from app.guards import repository
from app.guards.sync import _exchange
from app.limits import RateLimiter
from tests.faults.conftest import problem


class Clock:
    def __init__(self, at: float = 6_000_000.0) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_a_key_over_its_limit_waits_and_others_go_on() -> None:
    clock = Clock()
    limiter = RateLimiter(per_key=5, per_channel=0, now=clock)
    assert [limiter.refused("/v1/x", b"Bearer noisy") for _ in range(5)] == [None] * 5
    wait = limiter.refused("/v1/x", b"Bearer noisy")
    assert wait is not None and 1 <= wait <= 60
    assert limiter.refused("/v1/x", b"Bearer quiet") is None
    assert limiter.refused("/p/demo", b"") is None  # public pages are not counted per key
    clock.at += 120  # two minutes later the window has passed
    assert limiter.refused("/v1/x", b"Bearer noisy") is None


def test_the_previous_minute_still_counts_at_the_boundary() -> None:
    clock = Clock(6_000_000.0 + 59)
    limiter = RateLimiter(per_key=10, per_channel=0, now=clock)
    for _ in range(10):
        assert limiter.refused("/v1/x", b"k") is None
    clock.at += 2  # a new minute, but the burst a second ago still weighs 59/60
    assert limiter.refused("/v1/x", b"k") is None  # 9.8 of 10
    assert limiter.refused("/v1/x", b"k") is not None  # not a second burst of 10


def test_other_replicas_counts_are_added() -> None:
    clock = Clock()
    limiter = RateLimiter(per_key=0, per_channel=10, now=clock)
    minute = int(clock.at // 60)
    limiter.absorb(minute, {("channel", "ch_a"): 9})
    assert limiter.refused("/hooks/ch_a", b"") is None
    assert limiter.refused("/hooks/ch_a", b"") is not None
    assert limiter.refused("/hooks/ch_b", b"") is None


def test_counts_are_shared_through_the_database(sessions) -> None:
    minute = 28_000_000
    with session_scope(sessions) as session:
        repository.add_counts(session, "replica-a", minute, {("key", "k1"): 3, ("channel", "c"): 1})
        repository.add_counts(session, "replica-a", minute, {("key", "k1"): 2})
        repository.add_counts(session, "replica-b", minute, {("key", "k1"): 4})
    with session_scope(sessions) as session:
        assert repository.others_counts(session, "replica-b", minute) == {
            ("key", "k1"): 5, ("channel", "c"): 1}
        assert repository.others_counts(session, "replica-a", minute) == {("key", "k1"): 4}


@pytest.fixture
def limited_client(settings, sessions):  # noqa: ANN001, ANN201
    from fastapi.testclient import TestClient

    from app.main import create_app

    application = create_app(settings.model_copy(update={
        "key_requests_per_minute": 5, "channel_requests_per_minute": 3}), background=False)
    # Halfway through a minute, held there: requests that straddled a minute's end were let
    # through by the sliding window (5 × 0.99 < 5), which failed these tests now and then.
    application.state.limiter._now = Clock(time.time() // 60 * 60 + 30)
    with TestClient(application, raise_server_exceptions=False) as c:
        yield c
    application.state.engine.dispose()


def test_429_with_retry_after_per_key(limited_client, admin, owner_key) -> None:
    statuses = [limited_client.get("/v1/calendar", headers=admin).status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    refused = limited_client.get("/v1/calendar", headers=admin)
    assert problem(refused)["status"] == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    # another key is not starved by the noisy one
    mine = {"Authorization": f"Bearer {owner_key}"}
    assert limited_client.get("/v1/calendar", headers=mine).status_code == 200


def test_429_per_channel_and_nothing_recorded_beyond_it(limited_client, admin, owner) -> None:
    created = limited_client.post(f"/v1/owners/{owner['id']}/channels", headers=admin, json={
        "platform": "generic", "settings": {"signing_secret": "gen-secret"}})
    assert created.status_code == 201
    hook = f"/hooks/{created.json()['id']}"
    statuses = []
    for i in range(5):
        body = json.dumps({"contact": f"crm-{i}", "text": "hi"}).encode()
        statuses.append(limited_client.post(hook, content=body, headers={
            "content-type": "application/json",
            "x-ijaza-signature": sign("gen-secret", body, int(time.time()))}).status_code)
    assert statuses == [200, 200, 200, 429, 429]
    events = limited_client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"]
    assert len(events) == 3


def test_two_replicas_share_one_limit_through_the_database(sessions) -> None:  # noqa: ANN001
    """What each replica's sharing loop does once a second (``guards.sync``): after one
    exchange, a key's requests on both replicas count against its one limit."""
    clock = Clock()
    first, second = (RateLimiter(per_key=10, per_channel=0, now=clock) for _ in range(2))
    assert [first.refused("/v1/x", b"Bearer shared") for _ in range(6)] == [None] * 6
    assert [second.refused("/v1/x", b"Bearer shared") for _ in range(4)] == [None] * 4
    assert first.refused("/v1/x", b"Bearer other") is None  # another key, its own count
    for limiter, replica in ((first, "replica-a"), (second, "replica-b"),
                             (first, "replica-a")):
        _exchange(sessions, limiter, replica)
    # 6 here + 4 there = the limit: both replicas now refuse the key, not the other one
    assert first.refused("/v1/x", b"Bearer shared") is not None
    assert second.refused("/v1/x", b"Bearer shared") is not None
    assert second.refused("/v1/x", b"Bearer other") is None
