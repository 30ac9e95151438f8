from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from app.channels.base import BadPayload, Ignored, VerificationFailed
from app.channels.telegram import TelegramChannel
from app.domain.model import InboundMessage
from tests.channels.conftest import SAMPLE_TS, all_sample_names, frozen, sample

TOKEN = "eid_autoreply-TEST_token_123"
SETTINGS = {"secret_token": TOKEN, "bot_token": "123456:ABC-TEST"}
NOW = datetime.fromtimestamp(SAMPLE_TS, UTC)
INBOUND = ["telegram_update_message", "telegram_update_edited_message",
           "telegram_update_group_message"]


def channel(**extra: object) -> TelegramChannel:
    return TelegramChannel(SETTINGS | extra, now=frozen(SAMPLE_TS))


def test_every_telegram_sample_is_covered() -> None:
    names = {n for n in all_sample_names() if n.startswith("telegram_")}
    assert names == set(INBOUND) | {"telegram_webhook_response_sendMessage"}


@pytest.mark.parametrize("name", INBOUND)
def test_every_sample_verifies_and_forgeries_do_not(name: str) -> None:
    s = sample(name)
    channel().verify(s.request())
    for wrong in ("eid_autoreply-TEST_token_124", TOKEN[:-1], TOKEN + "x", ""):
        with pytest.raises(VerificationFailed):
            channel().verify(s.request(headers=s.headers | {
                "x-telegram-bot-api-secret-token": wrong}))
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(headers={"content-type": "application/json"}))
    with pytest.raises(VerificationFailed):
        TelegramChannel({"secret_token": ""}, now=frozen(SAMPLE_TS)).verify(s.request())


def test_a_private_message_is_parsed() -> None:
    [item] = channel().parse(sample("telegram_update_message").request())
    assert isinstance(item, InboundMessage)
    assert item.platform == "telegram"
    assert item.dedupe_key == "804612345"
    assert item.address == "111222333"
    assert item.text == "عيد مبارك! هل المكتب مفتوح غدًا؟"
    assert item.name == "Amina" and item.language_hint == "ar"
    assert item.received_at == datetime.fromtimestamp(1779868795, UTC)
    assert item.reply_context == {"chat_id": 111222333, "message_id": 42}


@pytest.mark.parametrize(("name", "reason"), [
    ("telegram_update_edited_message", "edit"),
    ("telegram_update_group_message", "supergroup chat"),
])
def test_samples_that_are_ignored(name: str, reason: str) -> None:
    assert channel().parse(sample(name).request()) == [Ignored(reason)]


def test_groups_are_answered_when_allowed() -> None:
    [item] = channel(allow_groups=True).parse(sample("telegram_update_group_message").request())
    assert isinstance(item, InboundMessage) and item.address == "-1001234567890"


def _update(**fields: object) -> bytes:
    return json.dumps({"update_id": 1, **fields}).encode()


MESSAGE = {"message_id": 1, "from": {"id": 5, "is_bot": False, "first_name": "A"},
           "chat": {"id": 5, "type": "private"}, "date": 1779868795, "text": "hi"}


@pytest.mark.parametrize(("body", "reason"), [
    (_update(edited_channel_post=MESSAGE), "edit"),
    (_update(edited_business_message=MESSAGE), "edit"),
    (_update(callback_query={"id": "1"}), "not a message"),
    (_update(my_chat_member={"chat": {"id": 5}}), "not a message"),
    (_update(channel_post=MESSAGE | {"chat": {"id": -5, "type": "channel"}}), "not a message"),
    (_update(message=MESSAGE | {"from": {"id": 9, "is_bot": True}}), "bot"),
    (_update(message=MESSAGE | {"chat": {"id": -5, "type": "group"}}), "group chat"),
])
def test_ignore_rules(body: bytes, reason: str) -> None:
    assert channel().parse(sample("telegram_update_message").request(body=body)) == [Ignored(reason)]


def test_a_business_message_is_answered_through_its_connection() -> None:
    body = _update(business_message=MESSAGE | {"business_connection_id": "bc-1"})
    [item] = channel().parse(sample("telegram_update_message").request(body=body))
    assert isinstance(item, InboundMessage)
    assert channel().build_send(item.reply_context, "x", now=NOW).json["business_connection_id"] == "bc-1"


def test_a_voice_note_is_answered_too() -> None:
    voice = {k: v for k, v in MESSAGE.items() if k != "text"} | {"voice": {"file_id": "f"}}
    [item] = channel().parse(sample("telegram_update_message").request(body=_update(message=voice)))
    assert isinstance(item, InboundMessage) and item.text == ""


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"message": {}}'])
def test_unreadable_bodies_are_bad_payloads(body: bytes) -> None:
    with pytest.raises(BadPayload):
        channel().parse(sample("telegram_update_message").request(body=body))


def test_return_mode_matches_the_sample_response() -> None:
    expected = sample("telegram_webhook_response_sendMessage")
    [item] = channel().parse(sample("telegram_update_message").request())
    out = channel().webhook_response(item, json.loads(expected.body)["text"])
    assert out.status == 200 and out.media_type == expected.headers["content-type"]
    assert json.loads(out.body) == json.loads(expected.body)
    assert list(json.loads(out.body)) == list(json.loads(expected.body))  # same key order


def test_no_reply_is_an_empty_json_object() -> None:
    [item] = channel().parse(sample("telegram_update_message").request())
    for out in (channel().webhook_response(item, None), channel().webhook_response(None, None)):
        assert (out.status, json.loads(out.body)) == (200, {})


def test_send_mode_request() -> None:
    [item] = channel(api_base_url="http://127.0.0.1:8081/").parse(
        sample("telegram_update_message").request())
    request = channel(api_base_url="http://127.0.0.1:8081/").build_send(item.reply_context, "x" * 5000,
                                                                         now=NOW)
    assert (request.method, request.url) == ("POST", "http://127.0.0.1:8081/bot123456:ABC-TEST/sendMessage")
    assert request.json["chat_id"] == 111222333
    assert request.json["reply_parameters"] == {"message_id": 42}
    assert len(request.json["text"]) == 4096
    assert channel().build_send({"chat_id": 7}, "x", now=NOW).url.startswith("https://api.telegram.org/bot")


@pytest.mark.parametrize(("status", "body", "ok", "permanent", "retry_after"), [
    (200, b'{"ok":true,"result":{"message_id":43}}', True, False, None),
    (429, b'{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 12",'
          b'"parameters":{"retry_after":12}}', False, False, 12.0),
    (400, b'{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}',
     False, True, None),
    (403, b'{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}',
     False, True, None),
    (502, b"Bad Gateway", False, False, None),
])
def test_classify_response(status: int, body: bytes, ok: bool, permanent: bool,
                           retry_after: float | None) -> None:
    result = channel().classify_response(status, {}, body)
    assert (result.ok, result.permanent, result.retry_after) == (ok, permanent, retry_after)
