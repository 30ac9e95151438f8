from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from app.channels.base import Handshake, Ignored, Inbound, VerificationFailed
from app.channels.telegram import TelegramChannel
from app.channels.whatsapp import WhatsAppChannel
from tests.channels.conftest import sample

TG = {"secret_token": "eid_autoreply-TEST_token_123", "bot_token": "123:ABC"}
WA = {"app_secret": "test_meta_app_secret", "verify_token": "test-verify-token",
      "access_token": "EAAJB-TEST-TOKEN", "phone_number_id": "106540352242922"}


def test_telegram_private_message() -> None:
    s = sample("telegram_update_message")
    tg = TelegramChannel(TG)
    tg.verify(s.request())
    [item] = tg.parse(s.request())
    assert isinstance(item, Inbound)
    assert item.address == "111222333" and item.dedupe_key == "804612345"
    assert item.text == "عيد مبارك! هل المكتب مفتوح غدًا؟" and item.language_hint == "ar"
    assert item.name == "Amina"


def test_telegram_return_mode_matches_the_sample() -> None:
    s = sample("telegram_update_message")
    tg = TelegramChannel(TG)
    [item] = tg.parse(s.request())
    expected = json.loads(sample("telegram_webhook_response_sendMessage").body)
    out = tg.webhook_response(item, expected["text"])
    assert json.loads(out.body) == expected and out.media_type == "application/json"
    assert json.loads(tg.webhook_response(None, None).body) == {}


def test_telegram_send_mode_request() -> None:
    tg = TelegramChannel(TG | {"api_base_url": "http://127.0.0.1:9"})
    req = tg.build_send({"chat_id": 111222333, "message_id": 42}, "x" * 5000)
    assert req.url == "http://127.0.0.1:9/bot123:ABC/sendMessage"
    assert req.json["chat_id"] == 111222333 and len(req.json["text"]) == 4096


@pytest.mark.parametrize(("name", "reason"), [("telegram_update_edited_message", "edit"),
                                              ("telegram_update_group_message", "supergroup chat")])
def test_telegram_ignored(name: str, reason: str) -> None:
    [item] = TelegramChannel(TG).parse(sample(name).request())
    assert isinstance(item, Ignored) and item.reason == reason


def test_telegram_groups_when_allowed() -> None:
    [item] = TelegramChannel(TG | {"allow_groups": True}).parse(
        sample("telegram_update_group_message").request())
    assert isinstance(item, Inbound)


def test_telegram_wrong_or_missing_token() -> None:
    s = sample("telegram_update_message")
    with pytest.raises(VerificationFailed):
        TelegramChannel({"secret_token": "other"}).verify(s.request())
    with pytest.raises(VerificationFailed):
        TelegramChannel(TG).verify(s.request(headers={"content-type": "application/json"}))


def test_telegram_429_uses_retry_after() -> None:
    body = b'{"ok":false,"error_code":429,"description":"Too Many Requests","parameters":{"retry_after":12}}'
    result = TelegramChannel(TG).classify_response(429, {}, body)
    assert not result.ok and not result.permanent and result.retry_after == 12
    assert TelegramChannel(TG).classify_response(403, {}, b'{"ok":false,"error_code":403}').permanent


def test_whatsapp_handshake() -> None:
    s = sample("whatsapp_verify_subscription")
    wa = WhatsAppChannel(WA)
    request = s.request(method="GET", query=s.body.decode().strip(), body=b"")
    wa.verify(request)
    out = wa.parse(request)
    assert isinstance(out, Handshake) and out.body == b"1158201444" and out.media_type == "text/plain"
    with pytest.raises(VerificationFailed):
        wa.verify(s.request(method="GET", query=s.body.decode().strip().replace("test-verify", "x"), body=b""))


def test_whatsapp_message_signed_over_the_escaped_raw_body() -> None:
    s = sample("whatsapp_message_text")
    assert b"\\u0639" in s.body  # Arabic arrives escaped; the signature covers these bytes
    wa = WhatsAppChannel(WA)
    wa.verify(s.request())
    [item] = wa.parse(s.request())
    assert isinstance(item, Inbound)
    assert item.address == "+16505551234" and item.name == "Sheena Nelson"
    assert "عيد مبارك" in item.text
    assert item.dedupe_key.startswith("wamid.")
    reencoded = json.dumps(json.loads(s.body), ensure_ascii=False).encode()
    with pytest.raises(VerificationFailed):
        wa.verify(s.request(body=reencoded))


def test_whatsapp_status_is_ignored_and_forgery_refused() -> None:
    s = sample("whatsapp_status_delivered")
    WhatsAppChannel(WA).verify(s.request())
    assert all(isinstance(i, Ignored) for i in WhatsAppChannel(WA).parse(s.request()))
    forged = "sha256=" + hmac.new(b"wrong", s.body, hashlib.sha256).hexdigest()
    with pytest.raises(VerificationFailed):
        WhatsAppChannel(WA).verify(s.request(headers={"x-hub-signature-256": forged}))


def test_whatsapp_send_matches_the_sample() -> None:
    expected = json.loads(sample("whatsapp_send_text.request").body)
    req = WhatsAppChannel(WA).build_send(
        {"to": "+16505551234", "phone_number_id": "106540352242922",
         "message_id": expected["context"]["message_id"]}, expected["text"]["body"])
    assert req.json == expected
    assert req.url == "https://graph.facebook.com/v25.0/106540352242922/messages"
    assert req.headers["Authorization"] == "Bearer EAAJB-TEST-TOKEN"


def test_whatsapp_batched_notifications_yield_every_message() -> None:
    one = json.loads(sample("whatsapp_message_text").body)
    change = one["entry"][0]["changes"][0]
    second = json.loads(json.dumps(change))
    second["value"]["messages"][0]["id"] = "wamid.second"
    one["entry"].append({"id": "x", "changes": [second]})
    body = json.dumps(one).encode()
    sig = "sha256=" + hmac.new(b"test_meta_app_secret", body, hashlib.sha256).hexdigest()
    request = sample("whatsapp_message_text").request(body=body, headers={"x-hub-signature-256": sig})
    WhatsAppChannel(WA).verify(request)
    items = WhatsAppChannel(WA).parse(request)
    assert [i.dedupe_key for i in items if isinstance(i, Inbound)][1] == "wamid.second"


def test_whatsapp_rate_limit_codes_retry() -> None:
    body = b'{"error":{"code":130429,"message":"Rate limit hit"}}'
    result = WhatsAppChannel(WA).classify_response(400, {}, body)
    assert not result.ok and not result.permanent
    assert WhatsAppChannel(WA).classify_response(400, {}, b'{"error":{"code":100}}').permanent
