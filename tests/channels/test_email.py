from __future__ import annotations

import base64
import hashlib
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from app.channels.base import BadPayload, RawRequest, SendResult, VerificationFailed
from app.channels.email import (
    MAILGUN_REPLAY_WINDOW,
    SENDGRID_REPLAY_WINDOW,
    EmailChannel,
    build_reply_message,
    mailgun_signature,
    send_smtp,
)
from app.domain.model import InboundMessage
from tests.channels.conftest import SAMPLE_TS, SAMPLES, Sample, all_sample_names, frozen, sample

OWNER = ["support@mg.example.com", "support@parse.example.com",
         "yourhash+eid@inbound.postmarkapp.com", "support@example.com"]
MAILGUN_KEY = "test-mailgun-webhook-signing-key"
SAMPLE_NOW = datetime.fromtimestamp(SAMPLE_TS, UTC)


def public_key() -> str:
    return (SAMPLES / "sendgrid_TEST_ONLY_public_key.b64").read_text().strip()


def private_key() -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key((SAMPLES / "sendgrid_TEST_ONLY_private_key.pem").read_bytes(), None)


def mailgun(now: float = SAMPLE_TS, key: str = MAILGUN_KEY) -> EmailChannel:
    return EmailChannel({"provider": "mailgun", "signing_key": key, "owner_addresses": OWNER},
                        now=frozen(now))


def sendgrid(now: float = SAMPLE_TS, key: str | None = None) -> EmailChannel:
    return EmailChannel({"provider": "sendgrid", "public_key": key or public_key(),
                         "owner_addresses": OWNER}, now=frozen(now))


def postmark(password: str = "test-basic-auth-password") -> EmailChannel:
    return EmailChannel({"provider": "postmark", "basic_auth_user": "postmark",
                         "basic_auth_password": password, "owner_addresses": OWNER},
                        now=frozen(SAMPLE_TS))


def mime(**extra: Any) -> EmailChannel:
    return EmailChannel({"provider": "mime", "token": "pipe-token", "owner_addresses": OWNER,
                         "from_address": "support@example.com", "from_name": "Support Team"}
                        | extra, now=frozen(SAMPLE_TS))


def _no_http(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"email is sent by SMTP, not {request.method} {request.url}")


async def send(channel: EmailChannel, context: dict[str, Any], text: str) -> SendResult:
    """``channel.send`` with an HTTP client that fails the test if it is used."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(_no_http)) as http:
        return await channel.send(http, context, text, now=SAMPLE_NOW, allow_private=True)


def test_every_email_sample_is_covered() -> None:
    names = {n for n in all_sample_names()
             if n.split("_")[0] in ("mailgun", "sendgrid", "postmark", "smtp")}
    assert names == {"mailgun_route", "sendgrid_inbound_parse", "postmark_inbound"}
    assert (SAMPLES / "smtp_autoreply.eml").exists() and (SAMPLES / "smtp_autoreply.envelope").exists()


# --- Mailgun ---------------------------------------------------------------------------------


def test_mailgun_php_test_vector_through_verify() -> None:
    """PROTOCOLS.md §5.1: mailgun-php tests/Api/WebhookTest.php."""
    key, ts = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0", "1403645220"
    token = "5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6"
    expected = "9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33"
    assert mailgun_signature(key, ts, token) == expected
    body = urlencode({"timestamp": ts, "token": token, "signature": expected}).encode()
    request = sample("mailgun_route").request(body=body)
    mailgun(now=int(ts), key=key).verify(request)
    with pytest.raises(VerificationFailed):
        mailgun(now=int(ts), key=key + "x").verify(request)


def test_mailgun_sample_verifies_and_parses() -> None:
    s = sample("mailgun_route")
    mailgun().verify(s.request())
    [item] = mailgun().parse(s.request())
    assert isinstance(item, InboundMessage) and item.suppressed is None
    assert item.platform == "email"
    assert item.address == "amina@example.org" and item.name == "Amina"
    assert item.dedupe_key == "<CAF1a2b3c4@mail.example.org>"
    assert item.subject == "Opening hours during Eid"
    assert item.text == "Hi, are you open during Eid?"
    assert item.headers["return-path"] == "<amina@example.org>"
    assert item.reply_context == {
        "to": "amina@example.org", "message_id": "<CAF1a2b3c4@mail.example.org>",
        "references": "<CAF1a2b3c4@mail.example.org>", "subject": "Opening hours during Eid",
        "original_to": ["support@mg.example.com"], "original_cc": []}


def _mailgun_form(**changes: str) -> bytes:
    form = dict(parse_qsl(sample("mailgun_route").body.decode(), keep_blank_values=True))
    return urlencode(form | changes).encode()


def test_mailgun_forged_tampered_and_replayed_are_refused() -> None:
    s = sample("mailgun_route")
    with pytest.raises(VerificationFailed):
        mailgun(key="wrong-key").verify(s.request())
    for changed in ({"token": "3f1c9a6e5d2b8c7a4e0f1b2c3d4e5f60718293a4b5c6d7e8f8"},
                    {"timestamp": str(SAMPLE_TS + 1)}, {"signature": "0" * 64}, {"signature": ""}):
        with pytest.raises(VerificationFailed):
            mailgun().verify(s.request(body=_mailgun_form(**changed)))
    with pytest.raises(VerificationFailed):
        mailgun(now=SAMPLE_TS + MAILGUN_REPLAY_WINDOW + 1).verify(s.request())
    with pytest.raises(VerificationFailed):
        mailgun(now=SAMPLE_TS - MAILGUN_REPLAY_WINDOW - 1).verify(s.request())
    mailgun(now=SAMPLE_TS + MAILGUN_REPLAY_WINDOW).verify(s.request())


def test_mailgun_list_mail_is_suppressed() -> None:
    form = dict(parse_qsl(sample("mailgun_route").body.decode(), keep_blank_values=True))
    headers = json.loads(form["message-headers"]) + [["List-Id", "<news.example.org>"]]
    body = urlencode(form | {"message-headers": json.dumps(headers)}).encode()
    [item] = mailgun().parse(sample("mailgun_route").request(body=body))
    assert item.suppressed == "list"


# --- SendGrid --------------------------------------------------------------------------------


def test_sendgrid_sample_verifies_and_parses() -> None:
    s = sample("sendgrid_inbound_parse")
    sendgrid().verify(s.request())
    [item] = sendgrid().parse(s.request())
    assert isinstance(item, InboundMessage) and item.suppressed is None
    assert item.address == "amina@example.org" and item.name == "Amina"
    assert item.dedupe_key == "<CAF1a2b3c4@mail.example.org>"
    assert item.subject == "Opening hours during Eid"
    assert item.text == "Hi, are you open during Eid?\n"
    assert item.reply_context["to"] == "amina@example.org"
    assert item.reply_context["original_to"] == ["support@parse.example.com"]


def test_sendgrid_our_own_signature_with_the_sample_private_key() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    s = sample("sendgrid_inbound_parse")
    body = s.body.replace(b"Eid?", b"Eid al-Adha?")
    ts = str(SAMPLE_TS + 60)
    sig = base64.b64encode(private_key().sign(ts.encode() + body, ec.ECDSA(hashes.SHA256())))
    headers = s.headers | {"x-twilio-email-event-webhook-signature": sig.decode(),
                           "x-twilio-email-event-webhook-timestamp": ts}
    sendgrid().verify(s.request(body=body, headers=headers))


def test_sendgrid_forged_tampered_and_replayed_are_refused() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    s = sample("sendgrid_inbound_parse")
    other = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(VerificationFailed):
        sendgrid(key=base64.b64encode(other).decode()).verify(s.request())
    tampered = bytearray(s.body)
    tampered[len(tampered) // 2] ^= 0x01
    with pytest.raises(VerificationFailed):
        sendgrid().verify(s.request(body=bytes(tampered)))
    with pytest.raises(VerificationFailed):
        sendgrid().verify(s.request(headers=s.headers | {
            "x-twilio-email-event-webhook-timestamp": str(SAMPLE_TS + 1)}))
    with pytest.raises(VerificationFailed):
        sendgrid(now=SAMPLE_TS + SENDGRID_REPLAY_WINDOW + 1).verify(s.request())
    with pytest.raises(VerificationFailed):
        sendgrid().verify(s.request(headers={"content-type": s.headers["content-type"]}))
    with pytest.raises(VerificationFailed):
        sendgrid().verify(s.request(headers=s.headers | {
            "x-twilio-email-event-webhook-signature": "not base64!"}))


def test_sendgrid_needs_an_ec_public_key() -> None:
    with pytest.raises(ValueError):
        sendgrid(key=base64.b64encode(b"not a key").decode())


# --- Postmark --------------------------------------------------------------------------------


def test_postmark_sample_verifies_and_parses() -> None:
    s = sample("postmark_inbound")
    postmark().verify(s.request())
    [item] = postmark().parse(s.request())
    assert isinstance(item, InboundMessage) and item.suppressed is None
    assert item.address == "amina@example.org" and item.name == "Amina"
    assert item.dedupe_key == "<CAF1a2b3c4@mail.example.org>"  # the RFC 5322 id, not Postmark's
    assert item.text == "Hi, are you open during Eid?\n\nAmina"
    assert item.reply_context["to"] == "amina@example.org"
    assert item.reply_context["original_to"] == ["yourhash+eid@inbound.postmarkapp.com"]


def test_postmark_wrong_or_missing_credentials_are_refused() -> None:
    s = sample("postmark_inbound")
    with pytest.raises(VerificationFailed):
        postmark(password="other").verify(s.request())
    bad = s.headers | {"authorization": "Basic " + base64.b64encode(b"postmark:nope").decode()}
    with pytest.raises(VerificationFailed):
        postmark().verify(s.request(headers=bad))
    with pytest.raises(VerificationFailed):
        postmark().verify(s.request(headers={"content-type": "application/json"}))
    with pytest.raises(VerificationFailed):
        postmark(password="").verify(s.request())


def test_postmark_without_a_message_id_dedupes_on_a_hash() -> None:
    data = json.loads(sample("postmark_inbound").body)
    data["Headers"] = [h for h in data["Headers"] if h["Name"] != "Message-ID"]
    body = json.dumps(data).encode()
    [a] = postmark().parse(sample("postmark_inbound").request(body=body))
    [b] = postmark().parse(sample("postmark_inbound").request(body=body))
    expected = hashlib.sha256(
        b"amina@example.org|Wed, 27 May 2026 07:59:50 +0000|Opening hours during Eid").hexdigest()
    assert a.dedupe_key == b.dedupe_key == "sha256:" + expected
    assert a.reply_context["message_id"] == ""


# --- raw MIME --------------------------------------------------------------------------------

RAW = (b"Return-Path: <amina@example.org>\r\n"
       b"From: =?utf-8?b?2KPZhdmK2YbYqQ==?= <amina@example.org>\r\n"
       b"Reply-To: other@example.net\r\n"
       b"To: Support <support@example.com>\r\n"
       b"Subject: =?utf-8?b?2LnZitivINmF2KjYp9ix2YM=?=\r\n"
       b"Message-ID: <m1@example.org>\r\nReferences: <m0@example.org>\r\n"
       b"Date: Wed, 27 May 2026 07:59:50 +0000\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
       + "مرحبا، هل أنتم متاحون؟\r\n".encode())


def raw_request(body: bytes = RAW, *, headers: dict[str, str] | None = None,
                query: str = "") -> RawRequest:
    return Sample(body=body, comments=[], headers={"content-type": "message/rfc822",
                                                   "authorization": "Bearer pipe-token"}
                  if headers is None else headers).request(query=query)


def test_raw_mime_token_by_header_or_query() -> None:
    mime().verify(raw_request())
    mime().verify(raw_request(headers={"authorization": "bearer pipe-token"}))
    mime().verify(raw_request(headers={}, query="token=pipe-token"))
    for headers, query in (({"authorization": "Bearer nope"}, ""), ({}, ""),
                           ({}, "token=nope"), ({"authorization": "Basic pipe-token"}, "")):
        with pytest.raises(VerificationFailed):
            mime().verify(raw_request(headers=headers, query=query))


def test_raw_mime_is_parsed() -> None:
    [item] = mime().parse(raw_request())
    assert isinstance(item, InboundMessage) and item.suppressed is None
    assert item.address == "amina@example.org"  # Return-Path, not Reply-To
    assert item.name == "أمينة"
    assert item.subject == "عيد مبارك"
    assert item.text == "مرحبا، هل أنتم متاحون؟\r\n"
    assert item.reply_context["references"] == "<m0@example.org> <m1@example.org>"
    assert item.reply_context["subject"] == "=?utf-8?b?2LnZitivINmF2KjYp9ix2YM=?="


@pytest.mark.parametrize(("change", "reason"), [
    ((b"Date:", b"Auto-Submitted: auto-replied\r\nDate:"), "auto_submitted"),
    ((b"Date:", b"Precedence: bulk\r\nDate:"), "bulk"),
    ((b"Date:", b"List-Unsubscribe: <mailto:u@example.org>\r\nDate:"), "list"),
    ((b"Return-Path: <amina@example.org>", b"Return-Path: <>"), "auto_submitted"),
    ((b"Return-Path: <amina@example.org>", b"Return-Path: <MAILER-DAEMON@example.org>"),
     "auto_submitted"),
    ((b"To: Support <support@example.com>", b"To: someone@example.com"), "not_addressed"),
    ((b"Date:", b"Auto-Submitted: no\r\nDate:"), None),
])
def test_rfc3834_rules_run_on_every_mail(change: tuple[bytes, bytes], reason: str | None) -> None:
    [item] = mime().parse(raw_request(RAW.replace(*change)))
    assert item.suppressed == reason


def test_mail_from_the_owners_address_is_not_answered_and_not_activity() -> None:
    # Anyone can forge the envelope sender: it must not pause the owner's replies.
    body = RAW.replace(b"<amina@example.org>\r\nFrom", b"<support@example.com>\r\nFrom")
    [item] = mime().parse(raw_request(body))
    assert item.suppressed == "own_message" and not item.from_owner


def test_without_a_return_path_the_sender_query_parameter_is_the_envelope() -> None:
    body = RAW.replace(b"Return-Path: <amina@example.org>\r\n", b"")
    [item] = mime().parse(raw_request(body))
    assert item.suppressed == "auto_submitted"  # unknown return path: not answered
    [item] = mime().parse(raw_request(body, query="token=x&sender=amina%40example.org"))
    assert item.suppressed is None and item.reply_context["to"] == "amina@example.org"


@pytest.mark.parametrize(("provider", "body"), [
    ("mime", b""), ("postmark", b"not json"), ("postmark", b"[]"),
    ("mailgun", b"message-headers=not-json"),
])
def test_unreadable_bodies_are_bad_payloads(provider: str, body: bytes) -> None:
    channel = EmailChannel({"provider": provider}, now=frozen(SAMPLE_TS))
    with pytest.raises(BadPayload):
        channel.parse(raw_request(body, headers={"content-type": "text/plain"}))


@pytest.mark.parametrize("settings", [{"provider": "aol"}, {"provider": "mime", "smtp_tls": "ssl"}])
def test_unusable_settings(settings: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        EmailChannel(settings, now=frozen(SAMPLE_TS))


def test_the_webhook_answer_is_a_200() -> None:
    assert mime().webhook_response(None, None).status == 200


# --- the reply -------------------------------------------------------------------------------

SAMPLE_TEXT = ("Eid Mubarak! Our office is closed for Eid al-Adha until 2 June 2026.\n"
               "We will answer your message when we are back.\n")


def test_the_reply_equals_the_sample_eml_except_for_its_random_message_id() -> None:
    [item] = mailgun().parse(sample("mailgun_route").request())
    message, envelope_sender, recipients = build_reply_message(
        item.reply_context, SAMPLE_TEXT, from_address="support@example.com",
        from_name="Support Team", now=SAMPLE_NOW)
    assert (envelope_sender, recipients) == ("", ["amina@example.org"])
    ours = message.as_bytes().replace(b"\r\n", b"\n").decode().splitlines()
    reference = (SAMPLES / "smtp_autoreply.eml").read_text().splitlines()
    assert [line for line in ours if not line.startswith("Message-ID:")] == \
        [line for line in reference if not line.startswith("Message-ID:")]
    assert message["Message-ID"].startswith("<ijaza.1779868800.")
    assert message["Message-ID"].endswith("@example.com>")


def test_the_reply_keeps_encoded_words_and_goes_to_the_envelope_sender_only() -> None:
    [item] = mime().parse(raw_request())
    message, envelope_sender, recipients = mime().build_reply(
        item.reply_context, "عيد مبارك — نعود قريبًا", now=SAMPLE_NOW)
    raw = message.as_bytes()
    assert b"\r\nSubject: Auto: =?utf-8?b?2LnZitivINmF2KjYp9ix2YM=?=\r\n" in raw
    assert (envelope_sender, recipients) == ("", ["amina@example.org"])
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["To"] == "amina@example.org"
    assert parsed["Subject"] == "Auto: عيد مبارك"
    assert parsed["Auto-Submitted"] == "auto-replied"
    assert parsed["In-Reply-To"] == "<m1@example.org>"
    assert parsed["References"] == "<m0@example.org> <m1@example.org>"
    assert parsed["From"] == "Support Team <support@example.com>"
    assert parsed.get_content_type() == "text/plain" and parsed.get_content_charset() == "utf-8"
    assert not parsed.is_multipart()
    assert parsed.get_content() == "عيد مبارك — نعود قريبًا\r\n"
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))


def test_a_plain_non_ascii_subject_is_encoded_and_long_references_fold() -> None:
    context = {"to": "amina@example.org", "subject": "مواعيد العمل في العيد",
               "message_id": "<m9@example.org>",
               "references": " ".join(f"<ref{i}@mail.example.org>" for i in range(8))}
    message, _, _ = build_reply_message(context, "x", from_address="s@example.com", now=SAMPLE_NOW)
    raw = message.as_bytes()
    assert all(len(line) <= 78 for line in raw.split(b"\r\n"))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == "Auto: مواعيد العمل في العيد"
    assert parsed["References"].split() == context["references"].split()
    assert parsed["From"] == "s@example.com"


def test_a_notice_is_auto_generated_and_not_threaded() -> None:
    context = {"to": "amina@example.org", "unsolicited": True, "notice_subject": "Eid hours",
               "message_id": "<m1@example.org>"}
    message, _, _ = build_reply_message(context, "We close on 5 June.",
                                        from_address="s@example.com", now=SAMPLE_NOW)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"] == "Eid hours"
    assert message["In-Reply-To"] is None and message["References"] is None


@pytest.mark.parametrize("to", ["", "not-an-address", None])
def test_no_recipient_no_message(to: str | None) -> None:
    with pytest.raises(ValueError):
        build_reply_message({"to": to}, "x", from_address="s@example.com", now=SAMPLE_NOW)


# --- SMTP against a real aiosmtpd server -------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    commands: list[str] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)


@pytest.fixture(params=[False, True], ids=["plain", "dsn"])
def smtp_server(request: pytest.FixtureRequest) -> Iterator[tuple[int, Received, bool]]:
    """An aiosmtpd server on 127.0.0.1; with ``dsn`` it announces DSN and takes NOTIFY=."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    dsn: bool = request.param
    received = Received()

    class Handler:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ANN001, ANN201, N802
            session.host_name = hostname
            return [*responses[:-1], "250-DSN", responses[-1]] if dsn else responses

        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
            received.envelopes.append(envelope)
            return "250 OK"

    class RecordingSMTP(SMTP):
        async def smtp_MAIL(self, arg: str) -> None:  # noqa: N802
            received.commands.append(f"MAIL {arg}")
            await super().smtp_MAIL(arg)

        async def smtp_RCPT(self, arg: str) -> None:  # noqa: N802
            received.commands.append(f"RCPT {arg}")
            await super().smtp_RCPT(arg.replace(" NOTIFY=NEVER", "") if dsn else arg)

    class RecordingController(Controller):
        def factory(self) -> SMTP:
            return RecordingSMTP(self.handler, **self.SMTP_kwargs)

    port = _free_port()
    controller = RecordingController(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received, dsn
    finally:
        controller.stop()


async def test_the_reply_is_sent_with_a_null_envelope_sender(smtp_server) -> None:  # noqa: ANN001
    port, received, dsn = smtp_server
    body = RAW.replace(b"From: =?utf-8?b?2KPZhdmK2YbYqQ==?= <amina@example.org>",
                       b"From: Someone <from-header@example.org>")
    channel = mime(smtp_host="127.0.0.1", smtp_port=port)
    [item] = channel.parse(raw_request(body))
    result = await send(channel, item.reply_context, "Back on 2 June.")
    assert result.ok, result.detail
    assert received.commands[0].startswith("MAIL FROM:<>")
    assert received.commands[1] == ("RCPT TO:<amina@example.org> NOTIFY=NEVER" if dsn
                                    else "RCPT TO:<amina@example.org>")
    [envelope] = received.envelopes
    assert envelope.mail_from == "<>"
    assert envelope.rcpt_tos == ["amina@example.org"]  # never Reply-To, never From
    sent = message_from_bytes(envelope.content, policy=policy.default)
    assert sent["To"] == "amina@example.org"
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == "<m1@example.org>"
    assert sent["Subject"] == "Auto: عيد مبارك"
    assert sent.get_content() == "Back on 2 June.\r\n"


async def test_send_smtp_directly(smtp_server) -> None:  # noqa: ANN001
    port, received, _dsn = smtp_server
    message, sender, recipients = build_reply_message(
        {"to": "amina@example.org", "subject": "Hi"}, "x", from_address="s@example.com",
        now=SAMPLE_NOW)
    await send_smtp(message, envelope_sender=sender, recipients=recipients, host="127.0.0.1",
                    port=port, tls="none", user=None, password=None, timeout=5)
    assert received.envelopes[0].rcpt_tos == ["amina@example.org"]


async def test_smtp_connects_to_the_address_it_checked(smtp_server, monkeypatch) -> None:  # noqa: ANN001
    """No second lookup: the name does not resolve at all, yet the mail arrives at the
    address the check vetted (here the test's server), so DNS cannot swap it in between."""
    port, received, _dsn = smtp_server
    vetted: list[tuple[str, int]] = []

    async def pretend_vetted(host: str, at_port: int) -> str:
        vetted.append((host, at_port))
        return "127.0.0.1"

    monkeypatch.setattr("app.channels.email.vetted_address", pretend_vetted)
    channel = mime(smtp_host="smtp.ijaza.invalid", smtp_port=port)
    async with httpx.AsyncClient(transport=httpx.MockTransport(_no_http)) as http:
        result = await channel.send(http, {"to": "amina@example.org", "subject": "Hi"},
                                    "Back on 2 June.", now=SAMPLE_NOW)
    assert result.ok, result.detail
    assert vetted == [("smtp.ijaza.invalid", port)]
    assert received.envelopes[0].rcpt_tos == ["amina@example.org"]


async def test_an_unreachable_server_is_retryable_and_no_config_is_permanent() -> None:
    result = await send(mime(smtp_host="127.0.0.1", smtp_port=_free_port()),
                        {"to": "a@example.org", "subject": "s"}, "t")
    assert not result.ok and not result.permanent
    result = await send(mime(), {"to": "a@example.org"}, "t")
    assert not result.ok and result.permanent
    result = await send(mime(smtp_host="127.0.0.1"), {"to": ""}, "t")
    assert not result.ok and result.permanent


async def test_a_refused_recipient_is_permanent() -> None:
    from aiosmtpd.controller import Controller

    class Refuse:
        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: ANN001, ANN201, N802
            return "550 5.1.1 no such user"

    port = _free_port()
    controller = Controller(Refuse(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = await send(mime(smtp_host="127.0.0.1", smtp_port=port),
                            {"to": "gone@example.org", "subject": "s"}, "t")
    finally:
        controller.stop()
    assert not result.ok and result.permanent
