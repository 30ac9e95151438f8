"""Poison deliveries: every answer the relay cannot read is one failed attempt, backs off
within the cap, and the row is dead after the last attempt — it never loops."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from app import clock
from app.domain.retry import retry_after_seconds
from tests.fakes import FakePlatform, Reply
from tests.outbox.test_relay import away, channel, enqueue, make_due, relay, rows, run  # noqa: F401

SLACK = {"signing_secret": "s", "bot_token": "xoxb-T"}
TELEGRAM = {"secret_token": "t", "bot_token": "123:ABC"}
WHATSAPP = {"app_secret": "a", "verify_token": "v", "access_token": "EAA", "phone_number_id": "555"}
CONTEXT = {"slack": {"channel": "D1"}, "telegram": {"chat_id": 7},
           "whatsapp": {"to": "+9665", "phone_number_id": "555"}}
SETTINGS = {"slack": SLACK, "telegram": TELEGRAM, "whatsapp": WHATSAPP}

POISON = [
    ("slack", Reply(status=429, headers={"Retry-After": "inf"})),
    ("slack", Reply(status=429, headers={"Retry-After": "1e12"})),
    ("slack", Reply(status=503, headers={"Retry-After": "NaN"})),
    ("slack", Reply(status=200, body=[])),
    ("slack", Reply(status=200, body=b"\xff\xfe not json")),
    ("slack", Reply(status=200, body={"ok": False, "error": {"nested": True}})),
    ("telegram", Reply(status=429, body={"ok": False, "error_code": 429,
                                         "parameters": {"retry_after": "soon"}})),
    ("telegram", Reply(status=200, body=["ok"])),
    ("telegram", Reply(status=429, body={"ok": False, "error_code": 429, "parameters": "x"})),
    ("whatsapp", Reply(status=500, body={"error": "string"})),
    ("whatsapp", Reply(status=400, body={"error": {"code": {"x": 1}}})),
    ("whatsapp", Reply(status=429, body={"error": {"code": 130429}}, headers={"Retry-After": "soon"})),
]


@pytest.mark.parametrize(("platform", "answer"), POISON)
def test_each_poison_answer_is_an_attempt_and_ends_dead(client, admin, away, sessions, settings,  # noqa: F811
                                                        platform, answer) -> None:
    with FakePlatform(answer) as fake:
        ch = channel(client, admin, away, platform, SETTINGS[platform] | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], platform, context=CONTEXT[platform])
        for attempt in range(1, 4):
            run(relay(sessions, settings, relay_max_attempts=3))
            [row] = rows(sessions)
            assert row.attempts == attempt, row.last_error
            assert row.claimed_by is None  # never left claimed
            if attempt < 3 and row.status == "pending":
                # backed off, and never further than the configured cap
                assert row.next_attempt_at <= clock.now() + timedelta(seconds=3601)
                make_due(sessions)
            else:
                break
    [row] = rows(sessions)
    assert row.status == "dead"
    assert len(fake.requests) == row.attempts
    assert "not json" not in (row.last_error or "")  # the target's body is not echoed


def test_retry_after_as_an_http_date_is_honoured(client, admin, away, sessions, settings) -> None:  # noqa: F811
    later = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    with FakePlatform(Reply(status=503, headers={"Retry-After": later})) as fake:
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack")
        run(relay(sessions, settings))
    [row] = rows(sessions)
    assert row.status == "pending" and row.attempts == 1
    assert row.next_attempt_at >= clock.now() + timedelta(minutes=9)


def test_retry_after_is_capped_by_the_setting(client, admin, away, sessions, settings) -> None:  # noqa: F811
    with FakePlatform(Reply(status=429, headers={"Retry-After": "86400"})) as fake:
        ch = channel(client, admin, away, "slack", SLACK | {"api_base_url": fake.url})
        enqueue(sessions, away["id"], ch["id"], "slack")
        run(relay(sessions, settings, retry_after_max_seconds=120))
    [row] = rows(sessions)
    assert clock.now() + timedelta(seconds=100) < row.next_attempt_at \
        <= clock.now() + timedelta(seconds=121)


NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), (" 5 ", 5.0), (3, 3.0), (2.5, 2.5),
    ("Wed, 10 Mar 2027 12:01:00 GMT", 60.0), ("Wed, 10 Mar 2027 11:00:00 GMT", 0.0),
    ("inf", None), ("-1", None), ("NaN", None), ("soon", None), ("", None), (None, None),
    (True, None), ({"x": 1}, None), (float("inf"), None),
])
def test_retry_after_readings(value: object, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds
