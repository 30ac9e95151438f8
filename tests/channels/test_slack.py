from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from app.channels.base import Handshake, Ignored, Inbound, VerificationFailed
from app.channels.slack import SlackChannel
from tests.channels.conftest import frozen, sample

SECRET = "test_slack_signing_secret"
TS = 1779868800


def channel(now: int = TS) -> SlackChannel:
    return SlackChannel({"signing_secret": SECRET, "bot_token": "xoxb-TEST-BOT-TOKEN",
                         "bot_user_id": "U0AUTOBOT1", "bot_id": "B0AUTOBOT1"}, now=frozen(now))


def test_slack_documented_test_vector() -> None:
    from datetime import UTC, datetime

    from app.channels.base import RawRequest

    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
            b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
            b"collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F39770"
            b"0885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10"
            b"d2c447fce8b6703c")
    signed = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    request = RawRequest(method="POST", url="https://x/hooks/1", query={}, body=body,
                         headers={"x-slack-request-timestamp": "1531420618", "x-slack-signature": signed},
                         received_at=datetime(2018, 7, 12, tzinfo=UTC))
    SlackChannel({"signing_secret": "8f742231b10e8888abcd99yyyzzz85a5"},
                 now=frozen(1531420618)).verify(request)
    mac = hmac.new(b"8f742231b10e8888abcd99yyyzzz85a5", b"v0:1531420618:" + body, hashlib.sha256)
    assert "v0=" + mac.hexdigest() == signed


@pytest.mark.parametrize("name", ["slack_url_verification", "slack_message_im", "slack_message_im_retry1",
                                  "slack_own_bot_message", "slack_bot_message_subtype",
                                  "slack_message_changed"])
def test_every_sample_verifies(name: str) -> None:
    channel().verify(sample(name).request())


def test_url_verification_echoes_the_challenge() -> None:
    s = sample("slack_url_verification")
    out = channel().parse(s.request())
    assert isinstance(out, Handshake) and out.status == 200
    assert json.loads(out.body)["challenge"] == json.loads(s.body)["challenge"]


def test_dm_is_parsed_and_a_retry_has_the_same_dedupe_key() -> None:
    [first] = channel().parse(sample("slack_message_im").request())
    [retry] = channel().parse(sample("slack_message_im_retry1").request())
    assert isinstance(first, Inbound)
    assert first.address == "U2147483697" and first.dedupe_key == "Ev0PV52K21"
    assert first.text == "Salam, are you in the office tomorrow?"
    assert first.reply_context == {"channel": "D024BE91L", "thread_ts": "1779868795.000200"}
    assert isinstance(retry, Inbound) and retry.dedupe_key == first.dedupe_key


@pytest.mark.parametrize(("name", "reason"), [("slack_own_bot_message", "own_message"),
                                              ("slack_bot_message_subtype", "subtype bot_message"),
                                              ("slack_message_changed", "subtype message_changed")])
def test_ignored(name: str, reason: str) -> None:
    [item] = channel().parse(sample(name).request())
    assert isinstance(item, Ignored) and item.reason == reason


def test_forged_tampered_and_expired_are_refused() -> None:
    s = sample("slack_message_im")
    with pytest.raises(VerificationFailed):
        SlackChannel({"signing_secret": "wrong"}, now=frozen(TS)).verify(s.request())
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(body=s.body.replace(b"Salam", b"Salaam")))
    with pytest.raises(VerificationFailed):
        channel(now=TS + 301).verify(s.request())
    with pytest.raises(VerificationFailed):
        channel(now=TS - 301).verify(s.request())
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(headers={}))
    channel(now=TS + 299).verify(s.request())


def test_send_request_matches_the_sample() -> None:
    expected = json.loads(sample("slack_chat_postMessage.request").body)
    request = channel().build_send({"channel": "D024BE91L", "thread_ts": "1779868795.000200"},
                                   expected["text"])
    assert request.json == expected
    assert request.url == "https://slack.com/api/chat.postMessage"
    assert request.headers["Authorization"] == "Bearer xoxb-TEST-BOT-TOKEN"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(("status", "body", "headers", "ok", "permanent", "retry_after"), [
    (200, b'{"ok": true, "ts": "1"}', {}, True, False, None),
    (200, b'{"ok": false, "error": "channel_not_found"}', {}, False, True, None),
    (200, b'{"ok": false, "error": "ratelimited"}', {"Retry-After": "7"}, False, False, 7.0),
    (429, b"", {"Retry-After": "30"}, False, False, 30.0),
    (503, b"", {}, False, False, None),
    (403, b"", {}, False, True, None),
])
def test_classify(status, body, headers, ok, permanent, retry_after) -> None:  # noqa: ANN001
    result = channel().classify_response(status, headers, body)
    assert (result.ok, result.permanent, result.retry_after) == (ok, permanent, retry_after)
