"""Email in (Mailgun routes, SendGrid Inbound Parse, Postmark inbound, raw MIME from an MTA
pipe) and out (an RFC 3834 reply by SMTP).

Settings (one channel = one provider):

- ``provider``: ``mailgun`` | ``sendgrid`` | ``postmark`` | ``mime``;
- ``signing_key`` (mailgun): the HTTP webhook signing key. Verified as
  ``hex(HMAC-SHA256(key, timestamp + token))`` against the form's ``signature``; a
  ``timestamp`` more than ``MAILGUN_REPLAY_WINDOW`` (15 minutes) from now is refused —
  Mailgun asks not to be "too aggressive" because of queueing delays;
- ``public_key`` (sendgrid): base64 DER P-256 key of the security policy. Verified as
  ECDSA-P256/SHA-256 over ``timestamp + raw body`` with the
  ``X-Twilio-Email-Event-Webhook-Signature`` / ``-Timestamp`` headers (the Event Webhook
  scheme — PROTOCOLS.md §6.1 caveat); timestamps further than 10 minutes are refused;
- ``basic_auth_user`` / ``basic_auth_password`` (postmark): the credentials embedded in
  the webhook URL, compared in constant time (Postmark does not sign);
- ``token`` (mime): sent as ``Authorization: Bearer <token>`` or ``?token=<token>``. The
  envelope sender is the ``Return-Path`` header (Postfix ``pipe`` flag ``R``) or
  ``?sender=`` in the URL; a message with neither is treated as having an empty return
  path and is not answered (RFC 3834 §4);
- ``owner_addresses``: the owner's own addresses — mail from them is activity, never
  answered; mail naming none of them in To/Cc is not answered;
- SMTP: ``smtp_host``, ``smtp_port`` (default 25, 587 with starttls, 465 with tls),
  ``smtp_tls`` (``none`` | ``starttls`` | ``tls``), ``smtp_user``, ``smtp_password``,
  ``from_address``, ``from_name``.

Which mail is not answered is ``app.domain.email_rules.should_not_reply`` (RFC 3834); the
reason goes in ``InboundMessage.suppressed`` so the decision is still recorded.

The reply (``build_reply_message``): ``Auto-Submitted: auto-replied``, ``In-Reply-To`` and
``References`` (original References + Message-ID), ``Subject: Auto: <original>`` with
encoded words kept exactly as they came, one recipient — the envelope sender, never
Reply-To or From — a null envelope sender (``MAIL FROM:<>``), ``NOTIFY=NEVER`` where the
server speaks DSN, ``text/plain; charset=utf-8``, no attachments. Messages nobody replied
to (advance notices, forwards, digests: ``context_for(..., unsolicited=True)``) carry
``Auto-Submitted: auto-generated`` and their own subject.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import socket
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime, formataddr, getaddresses
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl

import aiosmtplib
import httpcore
import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pydantic import field_validator

from app.channels.base import (
    BadPayload,
    Channel,
    ChannelSettings,
    Handshake,
    Ignored,
    RawRequest,
    SendResult,
    VerificationFailed,
    json_handshake,
    secret,
)
from app.domain.email_rules import address_of, addresses_in, reads_as_a_name, should_not_reply
from app.domain.model import InboundMessage
from app.targets import PrivateTarget, vetted_address

MAILGUN_REPLAY_WINDOW = 15 * 60
# A mail nested deeper or cut into more parts than any person's mail is acknowledged and
# not answered ("message too complex"): Python's parser recurses per level and slows down
# with the parts, and one mail must not stall the server.
MAX_MIME_DEPTH = 16
MAX_MIME_PARTS = 100
TOO_COMPLEX = "not answered: message too complex"
SENDGRID_REPLAY_WINDOW = 10 * 60
Provider = Literal["mailgun", "sendgrid", "postmark", "mime"]
TlsMode = Literal["none", "starttls", "tls"]
PROVIDERS: tuple[str, ...] = get_args(Provider)
TLS_MODES: tuple[str, ...] = get_args(TlsMode)
SMTP_TIMEOUT = 30.0
# Generation keeps raw header values as given (no decode-and-re-encode of encoded words).
_POLICY = policy.SMTP.clone(refold_source="none")
_MAX_LINE = 76


class EmailSettings(ChannelSettings):
    required = ("provider",)
    required_to_send = ("smtp_host", "from_address")

    provider: Provider | None = None
    signing_key: str = secret()
    public_key: str = secret()
    basic_auth_user: str = ""
    basic_auth_password: str = secret()
    token: str = secret()
    owner_addresses: list[str] = []
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_tls: TlsMode = "none"
    smtp_user: str | None = None
    smtp_password: str = secret()
    from_address: str = ""
    from_name: str | None = None

    @field_validator("owner_addresses", mode="before")
    @classmethod
    def _split_addresses(cls, value: Any) -> Any:
        if isinstance(value, str):  # "a@x, b@y" or "a@x; b@y"
            return value.replace(";", ",").split(",")
        return value or []

    @field_validator("smtp_tls", mode="before")
    @classmethod
    def _default_tls(cls, value: Any) -> Any:
        return value or "none"


class EmailChannel(Channel):
    platform = "email"
    Settings = EmailSettings
    settings: EmailSettings  # what Channel.__init__ validates with Settings
    modes = ("send",)

    def __init__(self, settings: Mapping[str, Any], *, now: Callable[[], datetime]) -> None:
        super().__init__(settings, now=now)
        config = self.settings
        if config.provider is None:
            raise ValueError(f"provider must be one of {', '.join(PROVIDERS)}")
        self.provider = config.provider
        self.signing_key = config.signing_key
        self.basic_auth_user = config.basic_auth_user
        self.basic_auth_password = config.basic_auth_password
        self.token = config.token
        self.owner_addresses = [address_of(a) or a.strip().lower()
                                for a in config.owner_addresses if a.strip()]
        self.smtp_host = config.smtp_host
        self.smtp_tls = config.smtp_tls
        self.smtp_port = config.smtp_port or {"none": 25, "starttls": 587, "tls": 465}[self.smtp_tls]
        self.smtp_user = config.smtp_user
        self.smtp_password = config.smtp_password
        self.from_address = config.from_address
        self.from_name = config.from_name
        self._sendgrid_key: Any = None
        if self.provider == "sendgrid" and config.public_key:
            key = load_der_public_key(base64.b64decode(config.public_key))
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise ValueError("public_key must be an EC P-256 public key")
            self._sendgrid_key = key

    # --- verification --------------------------------------------------------------------

    def verify(self, request: RawRequest) -> None:
        getattr(self, f"_verify_{self.provider}")(request)

    def _verify_mailgun(self, request: RawRequest) -> None:
        try:
            form = _form(request)
        except BadPayload as exc:
            raise VerificationFailed("no Mailgun signature fields") from exc
        ts, token, sig = form.get("timestamp", ""), form.get("token", ""), form.get("signature", "")
        if not (self.signing_key and ts and token and sig):
            raise VerificationFailed("missing Mailgun signature fields")
        try:
            age = abs(self.now().timestamp() - int(ts))
        except ValueError as exc:
            raise VerificationFailed("bad Mailgun timestamp") from exc
        if age > MAILGUN_REPLAY_WINDOW:
            raise VerificationFailed("Mailgun timestamp outside the 15-minute window")
        if not hmac.compare_digest(mailgun_signature(self.signing_key, ts, token), sig.lower()):
            raise VerificationFailed("Mailgun signature mismatch")

    def _verify_sendgrid(self, request: RawRequest) -> None:
        sig = request.headers.get("x-twilio-email-event-webhook-signature", "")
        ts = request.headers.get("x-twilio-email-event-webhook-timestamp", "")
        if not sig or not ts or self._sendgrid_key is None:
            raise VerificationFailed("missing SendGrid signature")
        try:
            age = abs(self.now().timestamp() - int(ts))
        except ValueError as exc:
            raise VerificationFailed("bad SendGrid timestamp") from exc
        if age > SENDGRID_REPLAY_WINDOW:
            raise VerificationFailed("SendGrid timestamp outside the 10-minute window")
        try:
            self._sendgrid_key.verify(base64.b64decode(sig, validate=True),
                                      ts.encode() + request.body, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError) as exc:
            raise VerificationFailed("SendGrid signature mismatch") from exc

    def _verify_postmark(self, request: RawRequest) -> None:
        expected = "Basic " + base64.b64encode(
            f"{self.basic_auth_user}:{self.basic_auth_password}".encode()).decode()
        given = request.headers.get("authorization", "")
        if not self.basic_auth_password or not hmac.compare_digest(given.encode(),
                                                                   expected.encode()):
            raise VerificationFailed("wrong Postmark basic auth")

    def _verify_mime(self, request: RawRequest) -> None:
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header[:7].lower() == "bearer " else ""
        given = given or request.query.get("token", "")
        if not self.token or not hmac.compare_digest(given.encode(), self.token.encode()):
            raise VerificationFailed("wrong channel token")

    def replay_token(self, request: RawRequest) -> tuple[str, datetime] | None:
        if self.provider != "mailgun":
            return None
        form = _form(request)
        try:
            signed_at = datetime.fromtimestamp(int(form.get("timestamp", "")), UTC)
        except (ValueError, OverflowError, OSError):
            return None
        # Remembered until its timestamp leaves the window, when it is refused anyway.
        return form.get("token", "")[:128], signed_at + timedelta(seconds=MAILGUN_REPLAY_WINDOW)

    # --- parsing ---------------------------------------------------------------------------

    def parse(self, request: RawRequest) -> Handshake | list[InboundMessage | Ignored]:
        if too_complex(request.body):
            return [Ignored(TOO_COMPLEX, tell_owner=True)]
        try:
            mail = getattr(self, f"_parse_{self.provider}")(request)
        except RecursionError:
            return [Ignored(TOO_COMPLEX, tell_owner=True)]
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
            raise BadPayload(f"cannot read this {self.provider} email: {exc}") from exc
        return [self._inbound(mail, request)]

    def _parse_mailgun(self, request: RawRequest) -> dict[str, Any]:
        form = _form(request)
        headers: dict[str, str] = {}
        for name, value in json.loads(form.get("message-headers") or "[]"):
            headers.setdefault(str(name).lower(), str(value))
        return {"headers": headers, "sender": form.get("sender"),
                "subject": headers.get("subject") or form.get("subject", ""),
                "text": form.get("stripped-text") or form.get("body-plain", ""),
                "from": headers.get("from") or form.get("from", "")}

    def _parse_sendgrid(self, request: RawRequest) -> dict[str, Any]:
        form = _multipart(request)
        envelope = json.loads(form.get("envelope") or "{}")
        if form.get("email"):  # "Send Raw": the whole message
            return _from_mime(form["email"].encode(), envelope.get("from"))
        block = form.get("headers", "").replace("\r\n", "\n").strip("\n") + "\n\n"
        headers = _headers(message_from_bytes(block.encode(), policy=policy.compat32))
        return {"headers": headers, "sender": envelope.get("from"),
                "subject": headers.get("subject") or form.get("subject", ""),
                "text": form.get("text", ""), "from": headers.get("from") or form.get("from", "")}

    def _parse_postmark(self, request: RawRequest) -> dict[str, Any]:
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        headers: dict[str, str] = {}
        for item in data.get("Headers") or []:
            headers.setdefault(str(item["Name"]).lower(), str(item["Value"]))
        for name, key in (("from", "From"), ("to", "To"), ("cc", "Cc"), ("subject", "Subject"),
                          ("date", "Date")):
            if data.get(key):
                headers.setdefault(name, str(data[key]))
        sender = headers.get("return-path") or (data.get("FromFull") or {}).get("Email") \
            or data.get("From")
        display_name = data.get("FromName") or (data.get("FromFull") or {}).get("Name")
        from_header = formataddr((display_name, data["From"])) if display_name and data.get("From") \
            else str(data.get("From") or "")
        return {"headers": headers, "sender": sender, "subject": data.get("Subject") or "",
                "text": data.get("StrippedTextReply") or data.get("TextBody") or "",
                "from": from_header}

    def _parse_mime(self, request: RawRequest) -> dict[str, Any]:
        if not request.body.strip():
            raise ValueError("empty message")
        return _from_mime(request.body, request.query.get("sender"))

    def _inbound(self, mail: dict[str, Any], request: RawRequest) -> InboundMessage:
        headers: dict[str, str] = mail["headers"]
        sender = mail.get("sender")
        sender = "" if sender is None else str(sender)
        suppressed = should_not_reply(headers, sender, [], self.owner_addresses)
        message_id = " ".join((headers.get("message-id") or "").split())
        subject = str(mail.get("subject") or "")
        dedupe = message_id or "sha256:" + hashlib.sha256(
            f"{address_of(headers.get('from'))}|{headers.get('date', '')}|{subject}".encode()
        ).hexdigest()
        references = " ".join(
            p for p in (" ".join(headers.get("references", "").split()), message_id) if p)
        name = next((n for n, _a in getaddresses([str(mail.get("from") or "")]) if n), None)
        name = _decoded(name) if name else None
        # Anyone can write the owner's address as a sender: such a mail is not answered
        # (own_message) but does not pause the owner's replies either; and an
        # unauthenticated display name greets its sender only if it reads as a name.
        from_owner = False
        reply_to = address_of(sender)
        return InboundMessage(
            platform=self.platform, dedupe_key=dedupe[:300],
            address=reply_to or address_of(headers.get("from")) or sender,
            name=name if reads_as_a_name(name) else None, text=str(mail.get("text") or ""),
            subject=_decoded(subject), received_at=request.received_at, headers=headers,
            suppressed=suppressed, from_owner=from_owner,
            reply_context={"to": reply_to, "message_id": message_id, "references": references,
                           "subject": " ".join(subject.split()),
                           "original_to": addresses_in([headers.get("to", "")]),
                           "original_cc": addresses_in([headers.get("cc", "")])})

    def webhook_response(self, inbound: InboundMessage | None,
                         reply: str | Mapping[str, Any] | None) -> Handshake:
        return json_handshake({"status": "ok"})

    # --- the platform's rules ----------------------------------------------------------------

    def context_for(self, address: str, *, subject: str | None, unsolicited: bool,
                    reply_context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """An unsolicited message is not a reply (RFC 3834): ``Auto-Submitted:
        auto-generated``, its own subject, no threading — even when it goes to a contact
        whose last message (``reply_context``) is known."""
        if reply_context:
            context = dict(reply_context)
            if unsolicited:
                context |= {"unsolicited": True, "notice_subject": subject}
            return context
        return {"to": address, "subject": subject or ""} | ({"unsolicited": True} if unsolicited
                                                             else {})

    # --- sending -----------------------------------------------------------------------------

    def build_reply(self, context: Mapping[str, Any], text: str, *,
                    now: datetime) -> tuple[EmailMessage, str, list[str]]:
        """The reply with this channel's From (see ``build_reply_message``)."""
        return build_reply_message(context, text, from_address=self.from_address,
                                   from_name=self.from_name, now=now)

    async def send(self, http: httpx.AsyncClient, context: Mapping[str, Any], text: str, *,
                   now: datetime, allow_private: bool = False) -> SendResult:
        """One attempt to send the message by SMTP (``http`` is not used), classified: a
        5xx refusal is permanent, a 4xx or a network error worth retrying."""
        if not self.smtp_host or not self.from_address:
            return SendResult(ok=False, permanent=True, detail="smtp_host/from_address not set")
        try:
            message, envelope_sender, recipients = self.build_reply(context, text, now=now)
        except ValueError as exc:
            return SendResult(ok=False, permanent=True, detail=str(exc))
        sock: socket.socket | None = None
        if not allow_private:
            # The name is resolved and checked once, and the connection goes to the very
            # address checked (a second lookup could answer a private one); TLS still checks
            # the certificate against the name.
            try:
                address = await vetted_address(str(self.smtp_host), self.smtp_port)
                sock = await _connected(address, self.smtp_port, timeout=SMTP_TIMEOUT)
            except PrivateTarget as exc:
                return SendResult(ok=False, permanent=True, detail=f"smtp_host refused: {exc}")
            except (OSError, TimeoutError, httpcore.ConnectError) as exc:
                return SendResult(ok=False, detail=f"smtp_host: {type(exc).__name__}")
        try:
            await send_smtp(message, envelope_sender=envelope_sender, recipients=recipients,
                            host=str(self.smtp_host), port=self.smtp_port, tls=self.smtp_tls,
                            user=self.smtp_user, password=self.smtp_password,
                            timeout=SMTP_TIMEOUT, sock=sock)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            return SendResult(ok=False, permanent=all(c >= 500 for c in codes),
                              detail=f"recipient refused: {codes}")
        except aiosmtplib.SMTPResponseException as exc:
            return SendResult(ok=False, permanent=exc.code >= 500,
                              detail=f"SMTP {exc.code}")  # the server's words stay out
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return SendResult(ok=False, detail=type(exc).__name__)
        return SendResult(ok=True, detail="accepted by the SMTP server")


def too_complex(body: bytes) -> bool:
    """Whether a body (a raw mail, or a form that carries one) holds more MIME levels or
    parts than ``MAX_MIME_DEPTH`` / ``MAX_MIME_PARTS``: counted on the bytes, before any
    parsing (each level declares a boundary; each part starts with a ``--`` line)."""
    return (body.count(b"\n--") > 2 * MAX_MIME_PARTS
            or len(_BOUNDARY.findall(body)) > MAX_MIME_DEPTH)


_BOUNDARY = re.compile(rb"boundary\s*=", re.IGNORECASE)


def mailgun_signature(signing_key: str, timestamp: str, token: str) -> str:
    """Mailgun's webhook signature: hex HMAC-SHA256(key, timestamp + token)."""
    return hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()


def build_reply_message(context: Mapping[str, Any], text: str, *, from_address: str,
                        from_name: str | None = None,
                        now: datetime) -> tuple[EmailMessage, str, list[str]]:
    """The RFC 3834 reply to one message, its envelope sender ("" = ``MAIL FROM:<>``) and
    its one recipient (the subject message's envelope sender, ``context["to"]``).

    ``context`` is the ``InboundMessage.reply_context`` of the email channel: ``to``,
    ``message_id``, ``references``, ``subject`` (the raw header value); with
    ``unsolicited`` (a notice, a forward) it is not a reply: ``Auto-Submitted:
    auto-generated``, subject ``notice_subject`` (or ``subject``), no threading headers.
    ``now`` (timezone-aware) is the Date. Raises ValueError without a recipient or From.
    """
    to = address_of(str(context.get("to") or ""))
    if not to or "@" not in to:
        raise ValueError("no envelope sender to answer")
    if not from_address:
        raise ValueError("from_address is not set")
    unsolicited = bool(context.get("unsolicited"))
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = _mailbox(from_name, from_address)
    msg["To"] = to
    if unsolicited:
        _set_subject(msg, "", str(context.get("notice_subject") or context.get("subject") or ""))
    else:
        _set_subject(msg, "Auto: ", str(context.get("subject") or ""))
    msg["Date"] = format_datetime(now.astimezone(UTC))
    domain = from_address.rpartition("@")[2] or "ijaza.invalid"
    msg["Message-ID"] = f"<ijaza.{int(now.timestamp())}.{secrets.token_hex(8)}@{domain}>"
    message_id = str(context.get("message_id") or "").strip()
    if message_id and not unsolicited:
        msg.set_raw("In-Reply-To", message_id)
        msg.set_raw("References", _fold(str(context.get("references") or message_id)))
    msg["Auto-Submitted"] = "auto-generated" if unsolicited else "auto-replied"
    body = text if text.endswith("\n") else text + "\n"
    msg.set_content(body, charset="utf-8", cte="7bit" if body.isascii() else "base64")
    return msg, "", [to]


async def _connected(address: str, port: int, *, timeout: float) -> socket.socket:
    """A TCP socket connected to ``address`` (an IP literal), within ``timeout`` seconds."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        async with asyncio.timeout(timeout):
            await asyncio.get_running_loop().sock_connect(sock, (address, port))
    except BaseException:
        sock.close()
        raise
    return sock


async def send_smtp(message: Message, *, envelope_sender: str, recipients: list[str], host: str,
                    port: int, tls: str = "none", user: str | None = None,
                    password: str | None = None, timeout: float = SMTP_TIMEOUT,
                    sock: socket.socket | None = None) -> None:
    """Send one message; ``envelope_sender`` "" is ``MAIL FROM:<>``. ``NOTIFY=NEVER`` is
    added to each RCPT where the server announces DSN. ``tls``: none | starttls | tls.
    With ``sock`` (already connected to ``host``'s checked address) no lookup is made;
    ``host`` is then only the name TLS checks the certificate against.

    Raises aiosmtplib's exceptions (``SMTPRecipientsRefused``, ``SMTPResponseException``,
    ``SMTPConnectError`` …) and ``OSError``; the caller classifies them.
    """
    if tls not in TLS_MODES:
        raise ValueError(f"tls must be one of {', '.join(TLS_MODES)}")
    smtp = aiosmtplib.SMTP(hostname=host, port=None if sock else port, sock=sock,
                           use_tls=tls == "tls", start_tls=tls == "starttls", timeout=timeout)
    async with smtp:
        if smtp.is_ehlo_or_helo_needed:
            try:
                await smtp.ehlo()
            except aiosmtplib.SMTPHeloError:
                await smtp.helo()
        if user:
            await smtp.login(user, password or "")
        options = ["NOTIFY=NEVER"] if smtp.supports_extension("dsn") else []
        await smtp.sendmail(envelope_sender, recipients, message.as_bytes(policy=_POLICY),
                            rcpt_options=options)


def _mailbox(name: str | None, address: str) -> str:
    if not name:
        return address
    return str(Address(display_name=name, addr_spec=address))


def _set_subject(msg: EmailMessage, prefix: str, raw: str) -> None:
    """Keep encoded words exactly as they came (RFC 3834 §3.1.5); encode a plain subject."""
    subject = " ".join(raw.split())
    if "=?" in subject and "?=" in subject:
        msg.set_raw("Subject", _fold(prefix + subject, start=len("Subject: ")))
    else:
        msg["Subject"] = prefix + subject


def _fold(value: str, *, start: int = 12) -> str:
    """Fold at spaces so that lines stay within 76 characters where words allow."""
    lines: list[str] = []
    current = ""
    width = _MAX_LINE - start
    for word in value.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current, width = word, _MAX_LINE - 1
        else:
            current = f"{current} {word}" if current else word
    lines.append(current)
    return "\n ".join(lines)


def _decoded(value: str) -> str:
    """A header value with encoded words decoded, for people to read."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeDecodeError):
        return value


def _headers(message: Message) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in message.items():
        headers.setdefault(name.lower(), " ".join(str(value).split()))
    return headers


def _form(request: RawRequest) -> dict[str, str]:
    if request.headers.get("content-type", "").lower().startswith("multipart/"):
        return _multipart(request)
    try:
        return dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError as exc:
        raise BadPayload("the form is not UTF-8") from exc


def _multipart(request: RawRequest) -> dict[str, str]:
    content_type = request.headers.get("content-type", "")
    if "multipart/form-data" not in content_type.lower():
        raise BadPayload("expected multipart/form-data")
    parsed = message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n"
                                + request.body, policy=policy.compat32)
    fields: dict[str, str] = {}
    for part in parsed.walk():
        name = part.get_param("name", header="content-disposition")
        if not name or part.is_multipart() or part.get_filename():
            continue
        payload = part.get_payload(decode=True) or b""
        assert isinstance(payload, bytes)  # a part that is not multipart decodes to bytes
        charset = part.get_content_charset() or "utf-8"
        try:
            value = payload.decode(charset, "replace")
        except LookupError:
            value = payload.decode("utf-8", "replace")
        fields[str(name)] = value
    return fields


def _from_mime(raw: bytes, sender: str | None) -> dict[str, Any]:
    message = message_from_bytes(raw, policy=policy.compat32)
    headers = _headers(message)
    text = ""
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.get_filename():
            payload = part.get_payload(decode=True) or b""
            assert isinstance(payload, bytes)  # a text/plain part is not multipart: bytes
            try:
                text = payload.decode(part.get_content_charset() or "utf-8", "replace")
            except LookupError:
                text = payload.decode("utf-8", "replace")
            break
    envelope = sender if sender is not None else headers.get("return-path", "")
    return {"headers": headers, "sender": envelope, "subject": headers.get("subject", ""),
            "text": text, "from": headers.get("from", "")}
