"""Webhooks end to end: every sample through /hooks/{channel}, dedupe, and no side effect
for forged, tampered, replayed or expired requests."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from unittest import mock

import pytest

from app.channels.generic import sign
from tests.channels.conftest import sample

LEAVE = {"kind": "off", "starts_at": "2026-05-20T00:00:00+03:00", "ends_at": "2026-06-03T00:00:00+03:00",
         "title": {"en": "Eid al-Adha", "ar": "عيد الأضحى"}}
SAMPLE_TIME = datetime(2026, 5, 27, 8, 0, tzinfo=UTC)


@pytest.fixture
def on_leave(client, admin, owner):  # noqa: ANN001, ANN201
    assert client.post(f"/v1/owners/{owner['id']}/windows", json=LEAVE, headers=admin).status_code == 201


@pytest.fixture
def frozen_clock():  # noqa: ANN201
    """Freeze the clock at the samples' signing time (the channels are given app.clock)."""
    with mock.patch("app.clock.now", return_value=SAMPLE_TIME):
        yield


def connect(client, admin, owner, platform, settings, mode=None):  # noqa: ANN001, ANN201
    body = {"platform": platform, "settings": settings} | ({"mode": mode} if mode else {})
    response = client.post(f"/v1/owners/{owner['id']}/channels", json=body, headers=admin)
    assert response.status_code == 201, response.text
    channel = response.json()
    assert channel["webhook_url"] == f"https://ijaza.example.com/hooks/{channel['id']}"
    for secret in ("signing_secret", "bot_token", "app_secret", "access_token", "auth_token",
                   "secret_token", "verify_token", "signing_key", "basic_auth_password", "token"):
        assert secret not in channel["settings"]
        assert settings.get(secret, "\0") not in json.dumps(channel)
    return channel


def counts(client, admin, owner):  # noqa: ANN001, ANN201
    events = client.get(f"/v1/owners/{owner['id']}/events", headers=admin).json()["items"]
    deliveries = client.get(f"/v1/owners/{owner['id']}/deliveries", headers=admin).json()["items"]
    return events, deliveries


def post(client, channel, s, **kw):  # noqa: ANN001, ANN003, ANN201
    headers = {k: v for k, v in s.headers.items()}
    headers.update(kw.pop("headers", {}))
    return client.post(f"/hooks/{channel['id']}", content=kw.pop("body", s.body), headers=headers, **kw)


SLACK = {"signing_secret": "test_slack_signing_secret", "bot_token": "xoxb-TEST-BOT-TOKEN",
         "bot_user_id": "U0AUTOBOT1", "bot_id": "B0AUTOBOT1", "api_base_url": "http://127.0.0.1:9"}


def test_slack_dm_is_answered_once_through_the_outbox(client, admin, owner, on_leave, frozen_clock) -> None:
    channel = connect(client, admin, owner, "slack", SLACK)
    handshake = post(client, channel, sample("slack_url_verification"))
    assert handshake.status_code == 200 and "challenge" in handshake.json()
    first = post(client, channel, sample("slack_message_im"))
    assert first.status_code == 200
    retry = post(client, channel, sample("slack_message_im_retry1"))
    assert retry.status_code == 200
    for name in ("slack_own_bot_message", "slack_bot_message_subtype", "slack_message_changed"):
        assert post(client, channel, sample(name)).status_code == 200
    events, deliveries = counts(client, admin, owner)
    assert len(events) == 1 and events[0]["decision"]["actions"] == ["queued"]
    assert len(deliveries) == 1 and deliveries[0]["status"] == "pending"
    assert deliveries[0]["kind"] == "reply" and deliveries[0]["to"] == "U2147483697"


def test_slack_forged_tampered_expired_change_nothing(client, admin, owner, on_leave, frozen_clock) -> None:
    channel = connect(client, admin, owner, "slack", SLACK)
    s = sample("slack_message_im")
    forged = "v0=" + hmac.new(b"wrong", b"v0:1779868800:" + s.body, hashlib.sha256).hexdigest()
    assert post(client, channel, s, headers={"X-Slack-Signature": forged}).status_code == 401
    assert post(client, channel, s, body=s.body.replace(b"Salam", b"Hello")).status_code == 401
    with mock.patch("app.clock.now", return_value=datetime.fromtimestamp(1779868800 + 301, UTC)):
        assert post(client, channel, s).status_code == 401
    response = post(client, channel, s, headers={"X-Slack-Signature": ""})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    events, deliveries = counts(client, admin, owner)
    assert events == [] and deliveries == []
    assert client.get(f"/v1/owners/{owner['id']}/contacts", headers=admin).json()["items"] == []


def test_telegram_return_mode_answers_in_the_webhook(client, admin, owner, on_leave, frozen_clock) -> None:
    channel = connect(client, admin, owner, "telegram", {"secret_token": "eid_autoreply-TEST_token_123"})
    assert channel["mode"] == "return"
    s = sample("telegram_update_message")
    first = post(client, channel, s)
    assert first.status_code == 200
    body = first.json()
    assert body["method"] == "sendMessage" and body["chat_id"] == 111222333
    assert body["reply_parameters"] == {"message_id": 42}
    assert "عيد" in body["text"]  # Arabic message, Arabic reply, Eid greeting
    again = post(client, channel, s)
    assert again.status_code == 200 and again.json() == {}
    for name in ("telegram_update_edited_message", "telegram_update_group_message"):
        assert post(client, channel, sample(name)).json() == {}
    assert post(client, channel, s, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}).status_code == 401
    events, deliveries = counts(client, admin, owner)
    assert len(events) == 1 and deliveries == []


WA = {"app_secret": "test_meta_app_secret", "verify_token": "test-verify-token",
      "access_token": "EAAJB-TEST-TOKEN", "phone_number_id": "106540352242922",
      "api_base_url": "http://127.0.0.1:9"}


def test_whatsapp_handshake_message_and_status(client, admin, owner, on_leave, frozen_clock) -> None:
    channel = connect(client, admin, owner, "whatsapp", WA)
    query = sample("whatsapp_verify_subscription").body.decode().strip()
    ok = client.get(f"/hooks/{channel['id']}?{query}")
    assert ok.status_code == 200 and ok.text == "1158201444"
    assert client.get(f"/hooks/{channel['id']}?{query.replace('test-verify-token', 'x')}").status_code == 401
    assert post(client, channel, sample("whatsapp_message_text")).status_code == 200
    assert post(client, channel, sample("whatsapp_message_text")).status_code == 200
    assert post(client, channel, sample("whatsapp_status_delivered")).status_code == 200
    events, deliveries = counts(client, admin, owner)
    assert len(events) == 1 and len(deliveries) == 1
    assert deliveries[0]["to"] == "+16505551234"


def test_twilio_twiml(client, admin, owner, on_leave, frozen_clock) -> None:
    from app.channels.twilio import signature

    channel = connect(client, admin, owner, "twilio", {"auth_token": "test_twilio_auth_token"})
    s = sample("twilio_sms")
    url = f"https://ijaza.example.com/hooks/{channel['id']}"
    from urllib.parse import parse_qsl

    sig = signature("test_twilio_auth_token", url, parse_qsl(s.body.decode(), keep_blank_values=True))
    first = post(client, channel, s, headers={"X-Twilio-Signature": sig})
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/xml")
    assert first.text.startswith('<?xml version="1.0" encoding="UTF-8"?><Response><Message>')
    again = post(client, channel, s, headers={"X-Twilio-Signature": sig})
    assert again.text == sample("twilio_twiml_noreply").body.decode()
    # the sample's own signature is for another URL: refused here
    assert post(client, channel, s).status_code == 401


def test_email_providers(client, admin, owner, on_leave, frozen_clock) -> None:
    from tests.channels.conftest import SAMPLES

    mg = connect(client, admin, owner, "email", {"provider": "mailgun",
                                                 "signing_key": "test-mailgun-webhook-signing-key",
                                                 "owner_addresses": ["support@mg.example.com"],
                                                 "smtp_host": "127.0.0.1", "smtp_port": 9,
                                                 "from_address": "support@mg.example.com"})
    assert post(client, mg, sample("mailgun_route")).status_code == 200
    assert post(client, mg, sample("mailgun_route")).status_code == 200
    pm = connect(client, admin, owner, "email", {"provider": "postmark", "basic_auth_user": "postmark",
                                                 "basic_auth_password": "test-basic-auth-password",
                                                 "smtp_host": "127.0.0.1", "smtp_port": 9,
                                                 "from_address": "support@mg.example.com"})
    assert post(client, pm, sample("postmark_inbound")).status_code == 200
    sg = connect(client, admin, owner, "email", {
        "provider": "sendgrid", "public_key": (SAMPLES / "sendgrid_TEST_ONLY_public_key.b64").read_text().strip(),
        "smtp_host": "127.0.0.1", "smtp_port": 9, "from_address": "support@mg.example.com"})
    assert post(client, sg, sample("sendgrid_inbound_parse")).status_code == 200
    events, deliveries = counts(client, admin, owner)
    # the same message (one Message-ID) arrived through three providers: three sources,
    # but one client — answered once
    assert len(events) == 3
    assert [e["suppressed"] for e in sorted(events, key=lambda e: e["id"])] == [None, "throttled", "throttled"]
    assert len(deliveries) == 1


def test_generic_return_mode_and_signature(client, admin, owner, on_leave, frozen_clock) -> None:
    channel = connect(client, admin, owner, "generic", {"signing_secret": "s3cret"})
    body = json.dumps({"contact": {"address": "crm-7", "name": "Sara"}, "text": "hi",
                       "received_at": "2026-05-27T11:00:00+03:00"}).encode()
    now = int(SAMPLE_TIME.timestamp())  # app.clock is frozen there
    headers = {"X-Ijaza-Signature": sign("s3cret", body, now), "Idempotency-Key": "order-1",
               "content-type": "application/json"}
    first = client.post(f"/hooks/{channel['id']}", content=body, headers=headers)
    assert first.status_code == 200
    decision = first.json()
    assert decision["status"] == "off" and "Sara" in decision["reply"]["text"]
    second = client.post(f"/hooks/{channel['id']}", content=body, headers=headers)
    assert second.json() == decision  # the same key, the same answer, recorded once
    bad = client.post(f"/hooks/{channel['id']}", content=body + b" ", headers=headers)
    assert bad.status_code == 401
    events, _ = counts(client, admin, owner)
    assert len(events) == 1


def test_unknown_hook_is_404(client) -> None:
    assert client.post("/hooks/ch_nope", content=b"{}").status_code == 404


def test_channel_settings_validation(client, admin, owner) -> None:
    base = f"/v1/owners/{owner['id']}/channels"
    assert client.post(base, json={"platform": "slack", "settings": {}}, headers=admin).status_code == 422
    assert client.post(base, json={"platform": "slack", "settings": SLACK | {"bogus": 1}},
                       headers=admin).status_code == 422
    assert client.post(base, json={"platform": "whatsapp", "mode": "return", "settings": WA},
                       headers=admin).status_code == 422
    assert client.post(base, json={"platform": "email", "settings": {"provider": "pigeon"}},
                       headers=admin).status_code == 422
    ch = connect(client, admin, owner, "slack", SLACK)
    patched = client.patch(f"{base}/{ch['id']}", json={"settings": {"bot_token": "xoxb-new"}}, headers=admin)
    assert patched.status_code == 200 and "xoxb-new" not in patched.text
    assert patched.json()["secrets_set"] == ["bot_token", "signing_secret"]


def test_secrets_are_encrypted_at_rest(client, admin, owner, sessions) -> None:
    from app.connections.models import ChannelRow

    ch = connect(client, admin, owner, "slack", SLACK)
    with sessions() as session:
        row = session.get(ChannelRow, ch["id"])
        assert "test_slack_signing_secret" not in (row.sealed_secrets or "")
        assert "xoxb-TEST-BOT-TOKEN" not in json.dumps(row.settings)
