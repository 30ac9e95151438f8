from __future__ import annotations

import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from app.channels.base import BadPayload, Handshake, Ignored, VerificationFailed
from app.channels.whatsapp import WhatsAppChannel
from app.domain.model import InboundMessage
from tests.channels.conftest import SAMPLE_TS, all_sample_names, frozen, sample

APP_SECRET = "test_meta_app_secret"
SETTINGS = {"app_secret": APP_SECRET, "verify_token": "test-verify-token",
            "access_token": "EAAJB-TEST-TOKEN", "phone_number_id": "106540352242922"}
NOW = datetime.fromtimestamp(SAMPLE_TS, UTC)
POSTS = ["whatsapp_message_text", "whatsapp_status_delivered"]
WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="


def channel(now: float = SAMPLE_TS, **extra: object) -> WhatsAppChannel:
    return WhatsAppChannel(SETTINGS | extra, now=frozen(now))


def signed(body: bytes) -> dict[str, str]:
    return {"content-type": "application/json", "x-hub-signature-256":
            "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()}


def handshake_request(query: str):  # noqa: ANN201
    return sample("whatsapp_verify_subscription").request(method="GET", query=query, body=b"",
                                                          headers={})


def test_every_whatsapp_sample_is_covered() -> None:
    names = {n for n in all_sample_names() if n.startswith("whatsapp_")}
    assert names == set(POSTS) | {"whatsapp_verify_subscription", "whatsapp_send_text.request"}


def test_the_get_handshake_echoes_the_challenge_as_text() -> None:
    s = sample("whatsapp_verify_subscription")
    request = handshake_request(s.body.decode().strip())  # the file ends with a newline
    channel().verify(request)
    out = channel().parse(request)
    assert out == Handshake(status=200, body=b"1158201444", media_type="text/plain")


@pytest.mark.parametrize("query", [
    "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong-token",
    "hub.mode=subscribe&hub.challenge=1158201444",
    "hub.mode=unsubscribe&hub.challenge=1158201444&hub.verify_token=test-verify-token",
])
def test_a_wrong_handshake_is_refused(query: str) -> None:
    with pytest.raises(VerificationFailed):
        channel().verify(handshake_request(query))


@pytest.mark.parametrize("name", POSTS)
def test_every_post_sample_verifies_and_forgeries_do_not(name: str) -> None:
    s = sample(name)
    channel().verify(s.request())
    forged = "sha256=" + hmac.new(b"wrong", s.body, hashlib.sha256).hexdigest()
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(headers=s.headers | {"x-hub-signature-256": forged}))
    tampered = bytearray(s.body)
    tampered[len(tampered) // 2] ^= 0x01
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(body=bytes(tampered)))
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(headers={"content-type": "application/json"}))
    bare = s.headers["x-hub-signature-256"].removeprefix("sha256=")
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(headers=s.headers | {"x-hub-signature-256": bare}))


def test_the_signature_covers_the_escaped_raw_bytes() -> None:
    s = sample("whatsapp_message_text")
    assert b"\\u0639" in s.body
    decoded = json.dumps(json.loads(s.body), ensure_ascii=False, separators=(",", ":")).encode()
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(body=decoded))


def test_a_text_message_is_parsed() -> None:
    [item] = channel().parse(sample("whatsapp_message_text").request())
    assert isinstance(item, InboundMessage)
    assert item.platform == "whatsapp"
    assert item.dedupe_key == WAMID
    assert item.address == "+16505551234"
    assert item.name == "Sheena Nelson"
    assert item.text == "Eid Mubarak! عيد مبارك — are you open tomorrow?"
    assert item.received_at == datetime.fromtimestamp(1779868795, UTC)
    assert item.reply_context == {"to": "+16505551234", "phone_number_id": "106540352242922",
                                  "message_id": WAMID,
                                  "received_at": "2026-05-27T07:59:55+00:00"}


def test_a_delivery_status_is_ignored() -> None:
    items = channel().parse(sample("whatsapp_status_delivered").request())
    assert items == [Ignored("status")]


def _notification() -> dict:
    return json.loads(sample("whatsapp_message_text").body)


def test_batched_notifications_yield_every_message() -> None:
    body = _notification()
    change = body["entry"][0]["changes"][0]
    second = copy.deepcopy(change)
    second["value"]["messages"][0]["id"] = "wamid.second"
    second["value"]["messages"].append(second["value"]["messages"][0] | {"id": "wamid.third"})
    status = json.loads(sample("whatsapp_status_delivered").body)["entry"][0]["changes"][0]
    body["entry"].append({"id": "2", "changes": [second, status,
                                                 {"field": "account_update", "value": {}}]})
    raw = json.dumps(body).encode()
    request = sample("whatsapp_message_text").request(body=raw, headers=signed(raw))
    channel().verify(request)
    items = channel().parse(request)
    assert [i.dedupe_key for i in items if isinstance(i, InboundMessage)] == [
        WAMID, "wamid.second", "wamid.third"]
    assert [i.reason for i in items if isinstance(i, Ignored)] == ["status", "field 'account_update'"]


@pytest.mark.parametrize(("message", "expected"), [
    ({"type": "audio", "audio": {"id": "m1", "voice": True}}, ""),
    ({"type": "image", "image": {"id": "m2", "caption": "our order"}}, "our order"),
    ({"type": "unsupported", "errors": [{"code": 131051}]}, ""),
])
def test_non_text_messages_are_answered_too(message: dict, expected: str) -> None:
    body = _notification()
    original = body["entry"][0]["changes"][0]["value"]["messages"][0]
    body["entry"][0]["changes"][0]["value"]["messages"] = [
        {k: original[k] for k in ("from", "id", "timestamp")} | message]
    [item] = channel().parse(sample("whatsapp_message_text").request(body=json.dumps(body).encode()))
    assert isinstance(item, InboundMessage) and item.text == expected


@pytest.mark.parametrize("kind", ["reaction", "system", "request_welcome"])
def test_reactions_and_system_messages_are_ignored(kind: str) -> None:
    body = _notification()
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["type"] = kind
    [item] = channel().parse(sample("whatsapp_message_text").request(body=json.dumps(body).encode()))
    assert item == Ignored(f"type {kind}")


@pytest.mark.parametrize("body", [b"nope", b"{}", b'{"entry": 3}'])
def test_unreadable_bodies_are_bad_payloads(body: bytes) -> None:
    with pytest.raises(BadPayload):
        channel().parse(sample("whatsapp_message_text").request(body=body))


def test_the_webhook_answer_is_a_plain_200() -> None:
    assert channel().webhook_response(None, "x").status == 200


def test_send_request_matches_the_sample() -> None:
    s = sample("whatsapp_send_text.request")
    expected = json.loads(s.body)
    [item] = channel().parse(sample("whatsapp_message_text").request())
    request = channel().build_send(item.reply_context, expected["text"]["body"], now=NOW)
    assert request.json == expected
    assert f"{request.method} {request.url}" == s.comments[0]
    assert request.headers == {"Content-Type": s.headers["content-type"],
                               "Authorization": s.headers["authorization"]}


def test_outside_the_24_hour_window_the_template_is_used() -> None:
    [item] = channel().parse(sample("whatsapp_message_text").request())
    templated = channel(template_name="eid_notice", template_language="en")
    request = templated.build_send(item.reply_context, "Closed for Eid\nuntil 2 June.",
                                   now=NOW + timedelta(hours=25))
    assert request.json["type"] == "template" and "text" not in request.json
    assert request.json["template"] == {
        "name": "eid_notice", "language": {"code": "en"},
        "components": [{"type": "body", "parameters": [
            {"type": "text", "text": "Closed for Eid until 2 June."}]}]}
    inside = templated.build_send(item.reply_context, "x", now=NOW + timedelta(hours=23))
    assert inside.json["type"] == "text"
    no_template = channel().build_send(item.reply_context, "x", now=NOW + timedelta(hours=25))
    assert no_template.json["type"] == "text"


def test_a_number_without_plus_gets_one() -> None:
    request = channel().build_send({"to": "16505551234"}, "x", now=NOW)
    assert request.json["to"] == "+16505551234"
    assert request.url == "https://graph.facebook.com/v25.0/106540352242922/messages"


@pytest.mark.parametrize(("status", "body", "ok", "permanent"), [
    (200, b'{"messaging_product":"whatsapp","messages":[{"id":"wamid.x"}]}', True, False),
    (400, b'{"error":{"code":130429,"message":"Rate limit hit"}}', False, False),
    (400, b'{"error":{"code":131056,"message":"Pair rate limit"}}', False, False),
    (429, b"", False, False),
    (400, b'{"error":{"code":100,"message":"Invalid parameter"}}', False, True),
    (400, b'{"error":{"code":131047,"message":"Re-engagement message"}}', False, True),
    (401, b'{"error":{"code":190,"message":"Invalid OAuth access token"}}', False, True),
    (500, b'{"error":{"code":2,"message":"Service temporarily unavailable"}}', False, False),
    (503, b"", False, False),
])
def test_classify_response(status: int, body: bytes, ok: bool, permanent: bool) -> None:
    result = channel().classify_response(status, {}, body)
    assert (result.ok, result.permanent) == (ok, permanent)
