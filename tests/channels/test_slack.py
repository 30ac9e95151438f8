from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from app.channels.base import (
    BadPayload,
    Handshake,
    Ignored,
    RawRequest,
    VerificationFailed,
)
from app.channels.registry import build_channel
from app.channels.slack import SlackChannel
from app.domain.model import InboundMessage
from tests.channels.conftest import SAMPLE_TS, all_sample_names, frozen, sample

SECRET = "test_slack_signing_secret"
SETTINGS = {"signing_secret": SECRET, "bot_token": "xoxb-TEST-BOT-TOKEN",
            "bot_user_id": "U0AUTOBOT1", "bot_id": "B0AUTOBOT1"}
NOW = datetime.fromtimestamp(SAMPLE_TS, UTC)
INBOUND = ["slack_url_verification", "slack_message_im", "slack_message_im_retry1",
           "slack_own_bot_message", "slack_bot_message_subtype", "slack_message_changed"]


def channel(now: float = SAMPLE_TS, **extra: object) -> SlackChannel:
    return SlackChannel(SETTINGS | extra, now=frozen(now))


def signed(body: bytes, ts: int = SAMPLE_TS, secret: str = SECRET) -> dict[str, str]:
    mac = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"content-type": "application/json", "x-slack-request-timestamp": str(ts),
            "x-slack-signature": f"v0={mac}"}


def test_every_slack_sample_is_covered() -> None:
    names = {n for n in all_sample_names() if n.startswith("slack_")}
    assert names == set(INBOUND) | {"slack_chat_postMessage.request"}


def test_slack_documented_test_vector() -> None:
    """PROTOCOLS.md §1.1: Slack's example, as in python-slack-sdk's tests."""
    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
            b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
            b"collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F39770"
            b"0885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10"
            b"d2c447fce8b6703c")
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    request = RawRequest(method="POST", url="https://x/hooks/1", query={}, body=body,
                         headers={"x-slack-request-timestamp": "1531420618",
                                  "x-slack-signature": expected},
                         received_at=datetime(2018, 7, 12, tzinfo=UTC))
    vector = SlackChannel({"signing_secret": "8f742231b10e8888abcd99yyyzzz85a5"},
                          now=frozen(1531420618))
    vector.verify(request)
    with pytest.raises(VerificationFailed):
        vector.verify(RawRequest(**{**{f: getattr(request, f) for f in request.__slots__},
                                    "body": body.replace(b"foobar", b"foobaz")}))


@pytest.mark.parametrize("name", INBOUND)
def test_every_sample_verifies_at_its_timestamp(name: str) -> None:
    s = sample(name)
    channel(now=int(s.headers["x-slack-request-timestamp"])).verify(s.request())


@pytest.mark.parametrize("name", INBOUND)
def test_forged_tampered_replayed_and_early_requests_are_refused(name: str) -> None:
    s = sample(name)
    ts = int(s.headers["x-slack-request-timestamp"])
    with pytest.raises(VerificationFailed):
        SlackChannel(SETTINGS | {"signing_secret": "wrong-secret"}, now=frozen(ts)).verify(s.request())
    tampered = bytearray(s.body)
    tampered[len(tampered) // 2] ^= 0x01
    with pytest.raises(VerificationFailed):
        channel(now=ts).verify(s.request(body=bytes(tampered)))
    with pytest.raises(VerificationFailed):
        channel(now=ts + 301).verify(s.request())
    with pytest.raises(VerificationFailed):
        channel(now=ts - 301).verify(s.request())
    channel(now=ts + 300).verify(s.request())
    channel(now=ts - 300).verify(s.request())


@pytest.mark.parametrize("drop", ["x-slack-request-timestamp", "x-slack-signature"])
def test_missing_headers_are_refused(drop: str) -> None:
    s = sample("slack_message_im")
    headers = {k: v for k, v in s.headers.items() if k != drop}
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(headers=headers))


def test_a_non_numeric_timestamp_is_refused() -> None:
    s = sample("slack_message_im")
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(headers=s.headers | {"x-slack-request-timestamp": "soon"}))


def test_url_verification_echoes_the_challenge_as_json() -> None:
    s = sample("slack_url_verification")
    out = channel().parse(s.request())
    assert isinstance(out, Handshake)
    assert (out.status, out.media_type) == (200, "application/json")
    assert json.loads(out.body) == {"challenge": json.loads(s.body)["challenge"]}


def test_a_direct_message_is_parsed() -> None:
    [item] = channel().parse(sample("slack_message_im").request())
    assert isinstance(item, InboundMessage)
    assert item.platform == "slack"
    assert item.dedupe_key == "Ev0PV52K21"
    assert item.address == "U2147483697"
    assert item.text == "Salam, are you in the office tomorrow?"
    assert item.received_at == datetime.fromtimestamp(1779868795.0002, UTC)
    assert item.reply_context == {"channel": "D024BE91L", "thread_ts": "1779868795.000200"}
    assert not item.from_owner and item.suppressed is None


def test_a_retry_carries_the_same_dedupe_key() -> None:
    s = sample("slack_message_im_retry1")
    assert s.headers["x-slack-retry-num"] == "1"
    [first] = channel().parse(sample("slack_message_im").request())
    [retry] = channel(now=1779868803).parse(s.request())
    assert isinstance(retry, InboundMessage) and retry.dedupe_key == first.dedupe_key


@pytest.mark.parametrize(("name", "reason"), [
    ("slack_own_bot_message", "own_message"),
    ("slack_bot_message_subtype", "subtype bot_message"),
    ("slack_message_changed", "subtype message_changed"),
])
def test_samples_that_are_ignored(name: str, reason: str) -> None:
    [item] = channel().parse(sample(name).request())
    assert item == Ignored(reason)


def _event(**event: object) -> bytes:
    base = {"type": "message", "channel": "C1", "user": "U2147483697", "text": "hi",
            "ts": "1779868795.000200", "channel_type": "im"}
    return json.dumps({"type": "event_callback", "event_id": "Ev1",
                       "event": {**base, **event}}).encode()


@pytest.mark.parametrize(("event", "reason"), [
    ({"user": "U0AUTOBOT1"}, "own_message"),
    ({"bot_id": "B0AUTOBOT1", "user": "U9"}, "own_message"),
    ({"subtype": "message_deleted"}, "subtype message_deleted"),
    ({"subtype": "channel_join"}, "subtype channel_join"),
    ({"bot_id": "B0OTHER"}, "bot"),
    ({"user": None}, "bot"),
    ({"channel_type": "channel"}, "channel_type channel"),
    ({"channel_type": "mpim"}, "channel_type mpim"),
    ({"type": "app_mention"}, "event 'app_mention'"),
])
def test_ignore_rules(event: dict[str, object], reason: str) -> None:
    body = _event(**event)
    request = sample("slack_message_im").request(body=body, headers=signed(body))
    channel().verify(request)
    assert channel().parse(request) == [Ignored(reason)]


def test_the_owner_speaking_is_activity_not_a_client() -> None:
    body = _event(user="UOWNER")
    [item] = channel(owner_user_id="UOWNER").parse(
        sample("slack_message_im").request(body=body, headers=signed(body)))
    assert isinstance(item, InboundMessage) and item.from_owner


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"])
def test_unreadable_bodies_are_bad_payloads(body: bytes) -> None:
    with pytest.raises(BadPayload):
        channel().parse(sample("slack_message_im").request(body=body))


def test_the_webhook_answer_is_an_empty_json_200() -> None:
    [item] = channel().parse(sample("slack_message_im").request())
    out = channel().webhook_response(item, "ignored: Slack replies go by chat.postMessage")
    assert (out.status, out.body, out.media_type) == (200, b"{}", "application/json")


def test_send_request_matches_the_sample() -> None:
    s = sample("slack_chat_postMessage.request")
    expected = json.loads(s.body)
    [item] = channel().parse(sample("slack_message_im").request())
    request = channel().build_send(item.reply_context, expected["text"], now=NOW)
    assert request.json == expected
    assert f"{request.method} {request.url}" == s.comments[0]
    assert request.headers == {"Content-Type": s.headers["content-type"],
                               "Authorization": s.headers["authorization"]}


def test_api_base_url_is_configurable() -> None:
    request = channel(api_base_url="http://127.0.0.1:8099/api/").build_send({"channel": "D1"}, "x",
                                                                          now=NOW)
    assert request.url == "http://127.0.0.1:8099/api/chat.postMessage"
    assert request.json == {"channel": "D1", "text": "x"}


@pytest.mark.parametrize(("status", "body", "headers", "ok", "permanent", "retry_after"), [
    (200, b'{"ok": true, "ts": "1"}', {}, True, False, None),
    (200, b'{"ok": false, "error": "channel_not_found"}', {}, False, True, None),
    (200, b'{"ok": false, "error": "invalid_auth"}', {}, False, True, None),
    (200, b'{"ok": false, "error": "ratelimited"}', {"Retry-After": "7"}, False, False, 7.0),
    (200, b'{"ok": false, "error": "internal_error"}', {}, False, False, None),
    (200, b"<html>", {}, False, False, None),
    (429, b"", {"Retry-After": "30"}, False, False, 30.0),
    (503, b"", {}, False, False, None),
    (403, b"", {}, False, True, None),
])
def test_classify_response(status: int, body: bytes, headers: dict[str, str], ok: bool,
                           permanent: bool, retry_after: float | None) -> None:
    result = channel().classify_response(status, headers, body)
    assert (result.ok, result.permanent, result.retry_after) == (ok, permanent, retry_after)


def test_the_registry_builds_it_with_a_bot_identity_and_a_clock() -> None:
    built = build_channel("slack", {"signing_secret": SECRET, "bot_token": "x"},
                          now=frozen(SAMPLE_TS),
                          bot_identity={"bot_user_id": "U0AUTOBOT1", "bot_id": "B0AUTOBOT1"})
    built.verify(sample("slack_own_bot_message").request())
    assert built.parse(sample("slack_own_bot_message").request()) == [Ignored("own_message")]
    with pytest.raises(ValueError):
        build_channel("myspace", {}, now=frozen(SAMPLE_TS))
