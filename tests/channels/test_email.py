from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from email import message_from_bytes, policy

import pytest

from app.channels.base import Inbound, VerificationFailed
from app.channels.email import EmailChannel
from app.domain.email_rules import should_not_reply
from tests.channels.conftest import frozen, sample
from tests.fakes import SmtpRecorder

TS = 1779868800
OWNER = ["support@mg.example.com", "support@parse.example.com", "yourhash+eid@inbound.postmarkapp.com"]


def public_key() -> str:
    from tests.channels.conftest import SAMPLES

    return (SAMPLES / "sendgrid_TEST_ONLY_public_key.b64").read_text().strip()


def mailgun() -> EmailChannel:
    return EmailChannel({"provider": "mailgun", "signing_key": "test-mailgun-webhook-signing-key",
                         "owner_addresses": OWNER}, now=frozen(TS))


def test_mailgun_php_test_vector() -> None:
    mac = hmac.new(b"key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
                   b"1403645220" + b"5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6", hashlib.sha256)
    assert mac.hexdigest() == "9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33"


def test_mailgun_sample() -> None:
    s = sample("mailgun_route")
    mailgun().verify(s.request())
    [item] = mailgun().parse(s.request())
    assert isinstance(item, Inbound) and item.suppressed is None
    assert item.address == "amina@example.org" and item.name == "Amina"
    assert item.dedupe_key == "<CAF1a2b3c4@mail.example.org>"
    assert item.text == "Hi, are you open during Eid?"
    assert item.reply_context["to"] == "amina@example.org"
    with pytest.raises(VerificationFailed):
        EmailChannel({"provider": "mailgun", "signing_key": "wrong"}, now=frozen(TS)).verify(s.request())
    with pytest.raises(VerificationFailed):
        EmailChannel({"provider": "mailgun", "signing_key": "test-mailgun-webhook-signing-key"},
                     now=frozen(TS + 3600)).verify(s.request())


def test_sendgrid_sample() -> None:
    s = sample("sendgrid_inbound_parse")
    channel = EmailChannel({"provider": "sendgrid", "public_key": public_key(), "owner_addresses": OWNER},
                           now=frozen(TS))
    channel.verify(s.request())
    [item] = channel.parse(s.request())
    assert isinstance(item, Inbound) and item.suppressed is None
    assert item.address == "amina@example.org" and item.subject == "Opening hours during Eid"
    assert item.text.startswith("Hi, are you open during Eid?")
    with pytest.raises(VerificationFailed):
        channel.verify(s.request(body=s.body.replace(b"Eid?", b"Eid!")))


def test_postmark_sample() -> None:
    s = sample("postmark_inbound")
    channel = EmailChannel({"provider": "postmark", "basic_auth_user": "postmark",
                            "basic_auth_password": "test-basic-auth-password", "owner_addresses": OWNER})
    channel.verify(s.request())
    [item] = channel.parse(s.request())
    assert isinstance(item, Inbound) and item.suppressed is None
    assert item.address == "amina@example.org" and item.dedupe_key == "<CAF1a2b3c4@mail.example.org>"
    bad = dict(s.headers) | {"authorization": "Basic " + base64.b64encode(b"postmark:nope").decode()}
    with pytest.raises(VerificationFailed):
        channel.verify(s.request(headers=bad))


RAW = (b"Return-Path: <amina@example.org>\r\nFrom: =?utf-8?b?2KPZhdmK2YbYqQ==?= <amina@example.org>\r\n"
       b"To: support@example.com\r\nSubject: =?utf-8?b?2LnZitivINmF2KjYp9ix2YM=?=\r\n"
       b"Message-ID: <m1@example.org>\r\nReferences: <m0@example.org>\r\n"
       b"Date: Wed, 27 May 2026 07:59:50 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
       b"hello\r\n")


def mime(**extra) -> EmailChannel:  # noqa: ANN003
    return EmailChannel({"provider": "mime", "token": "pipe-token", "owner_addresses": ["support@example.com"],
                         "from_address": "support@example.com", "from_name": "Support"} | extra)


def test_raw_mime_token_and_parse() -> None:
    from tests.channels.conftest import Sample

    s = Sample(body=RAW, headers={"content-type": "message/rfc822", "authorization": "Bearer pipe-token"},
               comments=[])
    mime().verify(s.request())
    with pytest.raises(VerificationFailed):
        mime().verify(s.request(headers={"authorization": "Bearer nope"}))
    [item] = mime().parse(s.request())
    assert item.address == "amina@example.org" and item.suppressed is None
    assert item.reply_context["references"] == "<m0@example.org> <m1@example.org>"


@pytest.mark.parametrize(("headers", "sender", "reason"), [
    ({"auto-submitted": "auto-replied"}, "a@x.org", "auto_submitted"),
    ({"auto-submitted": "auto-generated"}, "a@x.org", "auto_submitted"),
    ({"auto-submitted": "no"}, "a@x.org", None),
    ({"x-auto-response-suppress": "OOF, AutoReply"}, "a@x.org", "auto_submitted"),
    ({"x-auto-response-suppress": "DR"}, "a@x.org", None),
    ({"precedence": "bulk"}, "a@x.org", "bulk"),
    ({"precedence": "junk"}, "a@x.org", "bulk"),
    ({"precedence": "list"}, "a@x.org", "list"),
    ({"list-id": "<news.x.org>"}, "a@x.org", "list"),
    ({"list-unsubscribe": "<mailto:u@x.org>"}, "a@x.org", "list"),
    ({}, "<>", "auto_submitted"),
    ({}, "", "auto_submitted"),
    ({}, "MAILER-DAEMON@x.org", "auto_submitted"),
    ({}, "postmaster@x.org", "auto_submitted"),
    ({}, "no-reply@x.org", "auto_submitted"),
    ({}, "noreply+abc@x.org", "auto_submitted"),
    ({"content-type": "multipart/report; report-type=delivery-status; boundary=x"}, "a@x.org", "auto_submitted"),
    ({"content-type": "multipart/report; report-type=disposition-notification"}, "a@x.org", "auto_submitted"),
    ({"from": "Me <support@example.com>"}, "support@example.com", "own_message"),
    ({"to": "someone-else@example.com"}, "a@x.org", "not_addressed"),
    ({"to": "Support <support@example.com>"}, "a@x.org", None),
    ({"cc": "support@example.com"}, "a@x.org", None),
])
def test_rfc3834_table(headers, sender, reason) -> None:  # noqa: ANN001
    headers = {"to": "support@example.com"} | headers if "to" not in headers and "cc" not in headers else headers
    assert should_not_reply(headers, sender, [], ["support@example.com"]) == reason


def test_the_reply_follows_rfc3834() -> None:
    from tests.channels.conftest import Sample

    s = Sample(body=RAW, headers={"authorization": "Bearer pipe-token"}, comments=[])
    [item] = mime().parse(s.request())
    message = mime().build_reply_message(item.reply_context, "عيد مبارك — نعود قريبًا")
    raw = message.as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["In-Reply-To"] == "<m1@example.org>"
    assert parsed["References"] == "<m0@example.org> <m1@example.org>"
    assert b"Subject: Auto: =?utf-8?b?2LnZitivINmF2KjYp9ix2YM=?=" in raw  # encoded word kept intact
    assert parsed["To"] == "amina@example.org"
    assert parsed.get_content_type() == "text/plain" and parsed.get_content_charset() == "utf-8"
    assert parsed.get_content().strip() == "عيد مبارك — نعود قريبًا"
    assert not parsed.is_multipart()
    from tests.channels.conftest import SAMPLES

    reference = message_from_bytes((SAMPLES / "smtp_autoreply.eml").read_bytes())
    for header in ("From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
                   "Auto-Submitted", "Content-Type", "MIME-Version"):
        assert header in reference and header in parsed


def test_sent_by_smtp_with_a_null_envelope_sender_to_the_envelope_sender_only() -> None:
    from tests.channels.conftest import Sample

    raw = RAW.replace(b"From: =?utf-8?b?2KPZhdmK2YbYqQ==?= <amina@example.org>",
                      b"From: Someone <from-header@example.org>\r\nReply-To: reply-to@example.org")
    s = Sample(body=raw, headers={"authorization": "Bearer pipe-token"}, comments=[])
    with SmtpRecorder() as smtp:
        channel = mime(smtp_host="127.0.0.1", smtp_port=smtp.port)
        [item] = channel.parse(s.request())
        result = asyncio.run(channel.send_email(item.reply_context, "back soon"))
        assert result.ok, result.detail
        [envelope] = smtp.messages
    assert envelope.mail_from == "<>" or envelope.mail_from == ""
    assert envelope.rcpt_tos == ["amina@example.org"]
    sent = message_from_bytes(envelope.content, policy=policy.default)
    assert sent["Auto-Submitted"] == "auto-replied" and sent["To"] == "amina@example.org"


def test_smtp_refusal_is_permanent_and_unreachable_is_retryable() -> None:
    from tests.fakes import free_port

    channel = mime(smtp_host="127.0.0.1", smtp_port=free_port())
    result = asyncio.run(channel.send_email({"to": "a@x.org", "subject": "s"}, "t"))
    assert not result.ok and not result.permanent
