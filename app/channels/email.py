"""Email in (Mailgun routes, SendGrid Inbound Parse, Postmark inbound, raw MIME from an MTA
pipe) and out (an RFC 3834 reply by SMTP).

Settings: ``provider`` (mailgun | sendgrid | postmark | mime); per provider ``signing_key``
(Mailgun webhook signing key), ``public_key`` (SendGrid, base64 DER P-256),
``basic_auth_user``/``basic_auth_password`` (Postmark), ``token`` (raw MIME: sent as
``Authorization: Bearer`` or ``?token=``); ``owner_addresses`` (the owner's own addresses:
mail from them is never answered, mail not naming them is not answered); SMTP:
``smtp_host``, ``smtp_port``, ``smtp_tls`` (none | starttls | tls), ``smtp_user``,
``smtp_password``, ``from_address``, ``from_name``.

The reply follows RFC 3834: ``Auto-Submitted: auto-replied``, ``In-Reply-To`` and
``References``, ``Subject: Auto: <original>`` (encoded words kept as they came), one
recipient — the envelope sender, never Reply-To or From — a null envelope sender
(``MAIL FROM:<>``), ``NOTIFY=NEVER`` where the server speaks DSN, ``text/plain; charset=utf-8``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import Header
from email.message import Message
from email.utils import format_datetime, formataddr, getaddresses, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl

from app.channels.base import (
    BadPayload,
    Handshake,
    Ignored,
    Inbound,
    RawRequest,
    SendResult,
    VerificationFailed,
)
from app.domain.email_rules import address_of, should_not_reply

MAILGUN_REPLAY_WINDOW = 15 * 60  # Mailgun advises against being "too aggressive"
SENDGRID_REPLAY_WINDOW = 10 * 60
PROVIDERS = ("mailgun", "sendgrid", "postmark", "mime")


class EmailChannel:
    platform = "email"

    def __init__(self, settings: Mapping[str, Any], *,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.provider = settings.get("provider")
        if self.provider not in PROVIDERS:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}")
        self.settings = dict(settings)
        owner = settings.get("owner_addresses") or []
        if isinstance(owner, str):
            owner = [owner]
        self.owner_addresses = [address_of(a) or a.lower() for a in owner]
        self.now = now
        if self.provider == "sendgrid" and settings.get("public_key"):
            from cryptography.hazmat.primitives.serialization import load_der_public_key

            self._sendgrid_key = load_der_public_key(base64.b64decode(settings["public_key"]))

    # --- verification --------------------------------------------------------------------

    def verify(self, request: RawRequest) -> None:
        getattr(self, f"_verify_{self.provider}")(request)

    def _verify_mailgun(self, request: RawRequest) -> None:
        form = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)) \
            if not request.headers.get("content-type", "").startswith("multipart/") \
            else _multipart(request)
        key = str(self.settings.get("signing_key") or "")
        ts, token, sig = form.get("timestamp", ""), form.get("token", ""), form.get("signature", "")
        if not (key and ts and token and sig):
            raise VerificationFailed("missing Mailgun signature fields")
        try:
            age = abs(self.now().timestamp() - int(ts))
        except ValueError as exc:
            raise VerificationFailed("bad Mailgun timestamp") from exc
        if age > MAILGUN_REPLAY_WINDOW:
            raise VerificationFailed("Mailgun timestamp too old")
        expected = hmac.new(key.encode(), (ts + token).encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, sig):
            raise VerificationFailed("Mailgun signature mismatch")

    def _verify_sendgrid(self, request: RawRequest) -> None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        sig = request.headers.get("x-twilio-email-event-webhook-signature", "")
        ts = request.headers.get("x-twilio-email-event-webhook-timestamp", "")
        if not sig or not ts or not getattr(self, "_sendgrid_key", None):
            raise VerificationFailed("missing SendGrid signature")
        try:
            if abs(self.now().timestamp() - int(ts)) > SENDGRID_REPLAY_WINDOW:
                raise VerificationFailed("SendGrid timestamp too old")
            self._sendgrid_key.verify(base64.b64decode(sig), ts.encode() + request.body,
                                      ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError) as exc:
            raise VerificationFailed("SendGrid signature mismatch") from exc

    def _verify_postmark(self, request: RawRequest) -> None:
        user = str(self.settings.get("basic_auth_user") or "")
        password = str(self.settings.get("basic_auth_password") or "")
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        given = request.headers.get("authorization", "")
        if not password or not hmac.compare_digest(given.encode(), expected.encode()):
            raise VerificationFailed("wrong Postmark basic auth")

    def _verify_mime(self, request: RawRequest) -> None:
        token = str(self.settings.get("token") or "")
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip() \
            or request.query.get("token", "")
        if not token or not hmac.compare_digest(given.encode(), token.encode()):
            raise VerificationFailed("wrong channel token")

    # --- parsing ---------------------------------------------------------------------------

    def parse(self, request: RawRequest) -> Handshake | list[Inbound | Ignored]:
        try:
            mail = getattr(self, f"_parse_{self.provider}")(request)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise BadPayload(f"cannot read this {self.provider} email: {exc}") from exc
        return [self._inbound(mail, request)]

    def _parse_mailgun(self, request: RawRequest) -> dict[str, Any]:
        form = (dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
                if not request.headers.get("content-type", "").startswith("multipart/")
                else _multipart(request))
        headers = {name.lower(): value for name, value in json.loads(form.get("message-headers", "[]"))}
        return {"headers": headers, "sender": form.get("sender", ""),
                "recipients": [form.get("recipient", ""), headers.get("to", ""), headers.get("cc", "")],
                "subject": form.get("subject") or headers.get("subject", ""),
                "text": form.get("stripped-text") or form.get("body-plain", ""),
                "from": form.get("from") or headers.get("from", "")}

    def _parse_sendgrid(self, request: RawRequest) -> dict[str, Any]:
        form = _multipart(request)
        if form.get("email"):  # "Send Raw" mode: the whole message
            return _from_mime(form["email"].encode(), json.loads(form.get("envelope") or "{}").get("from"))
        raw_headers = message_from_bytes((form.get("headers", "") + "\n\n").encode(),
                                         policy=policy.compat32)
        headers = {k.lower(): str(v) for k, v in raw_headers.items()}
        envelope = json.loads(form.get("envelope") or "{}")
        return {"headers": headers, "sender": envelope.get("from", ""),
                "recipients": [form.get("to", ""), form.get("cc", ""), *envelope.get("to", [])],
                "subject": form.get("subject") or headers.get("subject", ""),
                "text": form.get("text", ""), "from": form.get("from", "")}

    def _parse_postmark(self, request: RawRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        headers = {h["Name"].lower(): h["Value"] for h in data.get("Headers") or []}
        headers.setdefault("from", data.get("From", ""))
        headers.setdefault("subject", data.get("Subject", ""))
        if data.get("MessageID") and "message-id" not in headers:
            headers["message-id"] = f"<{data['MessageID']}@postmark>"
        recipients = [r.get("Email", "") for r in (data.get("ToFull") or []) + (data.get("CcFull") or [])]
        recipients += [data.get("OriginalRecipient", "")]
        return {"headers": headers,
                "sender": headers.get("return-path") or (data.get("FromFull") or {}).get("Email")
                or data.get("From", ""),
                "recipients": recipients, "subject": data.get("Subject", ""),
                "text": data.get("StrippedTextReply") or data.get("TextBody", ""),
                "from": data.get("From", "")}

    def _parse_mime(self, request: RawRequest) -> dict[str, Any]:
        return _from_mime(request.body, request.query.get("sender"))

    def _inbound(self, mail: dict[str, Any], request: RawRequest) -> Inbound:
        headers: dict[str, str] = mail["headers"]
        sender = mail["sender"] or ""
        recipients = [r for r in mail["recipients"] if r]
        suppressed = should_not_reply(headers, sender, recipients, self.owner_addresses)
        message_id = (headers.get("message-id") or "").strip()
        dedupe = message_id or hashlib.sha256(
            f"{sender}|{headers.get('date', '')}|{mail['subject']}".encode()).hexdigest()
        received = request.received_at
        if headers.get("date"):
            try:
                received = min(parsedate_to_datetime(headers["date"]).astimezone(UTC), received)
            except (TypeError, ValueError):
                pass
        from_name = next((n for n, _a in getaddresses([mail.get("from", "")]) if n), None)
        references = " ".join(p for p in (headers.get("references", "").strip(), message_id) if p)
        return Inbound(
            platform=self.platform, dedupe_key=dedupe[:300], address=address_of(sender) or sender,
            name=from_name, text=str(mail.get("text") or ""), subject=mail["subject"],
            received_at=received, headers=headers, suppressed=suppressed,
            reply_context={"to": address_of(sender), "message_id": message_id,
                           "references": references,
                           "subject": headers.get("subject") or mail["subject"]})

    def webhook_response(self, inbound: Inbound | None, reply_text: str | None) -> Handshake:
        return Handshake(status=200, body=b'{"status":"ok"}', media_type="application/json")

    # --- sending -----------------------------------------------------------------------------

    def build_reply_message(self, context: Mapping[str, Any], text: str) -> Message:
        """The RFC 3834 reply (or, with ``unsolicited``, a notice) as a MIME message."""
        msg = Message(policy=policy.compat32)
        from_address = str(self.settings.get("from_address") or "")
        from_name = self.settings.get("from_name")
        msg["From"] = formataddr((str(Header(from_name, "utf-8")) if from_name and not from_name.isascii()
                                  else from_name or "", from_address)) if from_name else from_address
        msg["To"] = str(context.get("to"))
        if context.get("unsolicited"):
            msg["Subject"] = _subject(str(context.get("notice_subject") or context.get("subject") or ""))
            msg["Auto-Submitted"] = "auto-generated"
        else:
            msg["Subject"] = "Auto: " + _subject(str(context.get("subject") or ""))
            msg["Auto-Submitted"] = "auto-replied"
        if context.get("message_id") and not context.get("unsolicited"):
            msg["In-Reply-To"] = str(context["message_id"])
            msg["References"] = str(context.get("references") or context["message_id"])
        msg["Date"] = format_datetime(datetime.now(UTC))
        domain = from_address.partition("@")[2] or "ijaza.local"
        msg["Message-ID"] = f"<ijaza.{int(time.time())}.{secrets.token_hex(6)}@{domain}>"
        msg["MIME-Version"] = "1.0"
        msg.set_payload(text.encode("utf-8"), charset="utf-8")
        return msg

    async def send_email(self, context: Mapping[str, Any], text: str) -> SendResult:
        import aiosmtplib

        to = str(context.get("to") or "")
        if not to or not self.settings.get("smtp_host"):
            return SendResult(ok=False, permanent=True, detail="no recipient or no SMTP server")
        message = self.build_reply_message(context, text)
        tls = self.settings.get("smtp_tls") or "none"
        smtp = aiosmtplib.SMTP(hostname=self.settings["smtp_host"],
                               port=int(self.settings.get("smtp_port") or (465 if tls == "tls" else 25)),
                               use_tls=tls == "tls", start_tls=True if tls == "starttls" else False,
                               timeout=20)
        try:
            async with smtp:
                if self.settings.get("smtp_user"):
                    await smtp.login(self.settings["smtp_user"], self.settings.get("smtp_password") or "")
                options = ["NOTIFY=NEVER"] if smtp.supports_extension("dsn") else []
                await smtp.sendmail("", [to], message.as_bytes(), rcpt_options=options)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return SendResult(ok=False, permanent=True, detail=f"recipient refused: {exc}")
        except aiosmtplib.SMTPResponseException as exc:
            return SendResult(ok=False, permanent=500 <= exc.code < 600, detail=f"{exc.code} {exc.message}")
        except (aiosmtplib.SMTPException, OSError) as exc:
            return SendResult(ok=False, detail=f"{type(exc).__name__}: {exc}")
        return SendResult(ok=True, detail="accepted by the SMTP server")


def _subject(raw: str) -> str:
    """Keep encoded words as they came; encode a plain non-ASCII subject."""
    raw = " ".join(raw.split())
    if raw.isascii():
        return raw
    return Header(raw, "utf-8").encode()


def _multipart(request: RawRequest) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if "multipart/form-data" not in content_type:
        raise BadPayload("expected multipart/form-data")
    parsed = message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.body,
                                policy=policy.compat32)
    fields: dict[str, str] = {}
    for part in parsed.walk():
        name = part.get_param("name", header="content-disposition")
        if not name or part.is_multipart():
            continue
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        fields[str(name)] = payload.decode(charset, "replace").rstrip("\r\n") if isinstance(
            payload, bytes) else str(payload)
    return fields


def _from_mime(raw: bytes, sender: str | None) -> dict[str, Any]:
    message = message_from_bytes(raw, policy=policy.compat32)
    headers = {k.lower(): str(v) for k, v in message.items()}
    text = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            payload = part.get_payload(decode=True) or b""
            text = payload.decode(part.get_content_charset() or "utf-8", "replace")
            break
    return {"headers": headers, "sender": sender or headers.get("return-path", ""),
            "recipients": [headers.get("to", ""), headers.get("cc", "")],
            "subject": headers.get("subject", ""), "text": text, "from": headers.get("from", "")}
