"""Any tool over HTTP (n8n, Zapier, Make, a CRM): JSON in, signed with ``X-Ijaza-Signature``;
the answer back in the response (``mode`` ``return``) or POSTed, signed the same way, to
``callback_url`` (``mode`` ``send``).

Request body::

    {"contact": {"address": "crm-42", "name": "Sara", "language": "ar"},
     "text": "Are you open on Eid?", "received_at": "2026-05-27T10:59:50+03:00",
     "subject": "optional", "headers": {"optional": "email headers"}}

``contact`` may also be a bare address string; ``received_at`` (ISO 8601 with offset) is
optional and defaults to when the request arrived.

Signature (both directions): header ``X-Ijaza-Signature: t=<unix seconds>,v1=<hex>`` where
``hex = HMAC-SHA256(signing_secret, f"{t}.".encode() + raw_body)`` over the exact body
bytes; a ``t`` more than 5 minutes before or after now is refused (replay window). Sign a
request, or check one of our callbacks, with::

    import hashlib, hmac, time

    def sign(secret: bytes, body: bytes) -> str:
        t = str(int(time.time()))
        return f"t={t},v1=" + hmac.new(secret, t.encode() + b"." + body, hashlib.sha256).hexdigest()

    def verify(secret: bytes, header: str, body: bytes) -> bool:
        parts = dict(p.strip().split("=", 1) for p in header.split(","))
        if abs(time.time() - int(parts["t"])) > 300:
            return False
        mac = hmac.new(secret, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(mac, parts["v1"])

The dedupe key is the ``Idempotency-Key`` header; without one it is a hash of the body
(``sha256:<hex>``), so an identical retry is still recognised.

Settings: ``signing_secret``, ``callback_url`` (send mode, and for anything written
first); the connection's ``mode`` is ``return`` (default) or ``send``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import field_validator

from app.channels.base import (
    BadPayload,
    Channel,
    ChannelSettings,
    Handshake,
    Ignored,
    OutboundRequest,
    RawRequest,
    VerificationFailed,
    json_handshake,
    secret,
)
from app.domain.model import InboundMessage
from app.domain.refusal import Refusal

WINDOW = 300
MAX_KEY = 300


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Ijaza-Signature`` value for ``body`` at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def check_signature(secret: str, header: str, body: bytes, now: datetime) -> None:
    """Raise VerificationFailed unless ``header`` signs ``body`` within 5 minutes of ``now``."""
    try:
        parts = dict(p.strip().split("=", 1) for p in header.split(",") if p.strip())
        ts = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as exc:
        raise VerificationFailed("missing or malformed X-Ijaza-Signature") from exc
    if not secret:
        raise VerificationFailed("no signing secret configured")
    if abs(now.timestamp() - ts) > WINDOW:
        raise VerificationFailed("signature timestamp outside the 5-minute window")
    expected = sign(secret, body, ts).partition("v1=")[2]
    if not hmac.compare_digest(expected, given.lower()):
        raise VerificationFailed("X-Ijaza-Signature mismatch")


class GenericSettings(ChannelSettings):
    required = ("signing_secret",)
    required_to_send = ("callback_url",)

    signing_secret: str = secret()
    callback_url: str | None = None

    @field_validator("callback_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://")):
            raise Refusal("not_http_url", "callback_url must be an http(s) URL")
        return value


class GenericChannel(Channel):
    platform = "generic"
    Settings = GenericSettings
    settings: GenericSettings  # what Channel.__init__ validates with Settings
    modes = ("return", "send")

    def __init__(self, settings: Mapping[str, Any], *, now: Callable[[], datetime]) -> None:
        super().__init__(settings, now=now)
        self.secret = self.settings.signing_secret
        self.callback_url = self.settings.callback_url

    def verify(self, request: RawRequest) -> None:
        check_signature(self.secret, request.headers.get("x-ijaza-signature", ""), request.body,
                        self.now())

    def parse(self, request: RawRequest) -> Handshake | list[InboundMessage | Ignored]:
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadPayload("not JSON") from exc
        if not isinstance(body, dict):
            raise BadPayload("expected a JSON object")
        contact = body.get("contact")
        if isinstance(contact, str):
            contact = {"address": contact}
        if not isinstance(contact, dict) or not str(contact.get("address") or "").strip():
            raise BadPayload("'contact.address' is required")
        if not isinstance(body.get("text", ""), str):
            raise BadPayload("'text' must be a string")
        received = request.received_at
        if body.get("received_at"):
            try:
                received = datetime.fromisoformat(str(body["received_at"]))
            except ValueError as exc:
                raise BadPayload("'received_at' is not ISO 8601") from exc
            if received.tzinfo is None:
                raise BadPayload("'received_at' needs a UTC offset")
        headers = body.get("headers") or {}
        if not isinstance(headers, dict):
            raise BadPayload("'headers' must be an object")
        key = (request.headers.get("idempotency-key", "").strip()
               or "sha256:" + hashlib.sha256(request.body).hexdigest())[:MAX_KEY]
        language = contact.get("language")
        address = str(contact["address"]).strip()
        return [InboundMessage(platform=self.platform, dedupe_key=key, address=address,
                               name=contact.get("name") or None,
                               language_hint=str(language).lower() if language else None,
                               text=str(body.get("text") or ""), subject=body.get("subject"),
                               headers={str(k).lower(): str(v) for k, v in headers.items()},
                               received_at=received,
                               reply_context={"to": address, "idempotency_key": key})]

    @property
    def answers_with_decision(self) -> bool:
        # An integrator gets the whole decision in return mode; a retry with the same
        # Idempotency-Key gets the same answer again.
        return self.mode == "return"

    def webhook_response(self, inbound: InboundMessage | None,
                         reply: str | Mapping[str, Any] | None) -> Handshake:
        """Return mode: the caller gives the answer; a decision (mapping) goes back as it is,
        a bare text as ``{"reply": text}``."""
        if isinstance(reply, Mapping):
            return json_handshake(dict(reply))
        return json_handshake({"reply": reply})

    def may_write_first(self, *, last_seen_at: datetime | None, now: datetime) -> bool:
        return bool(self.callback_url)  # without one there is nowhere to write to

    def build_send(self, context: Mapping[str, Any], text: str, *, now: datetime) -> OutboundRequest:
        """The signed POST to ``callback_url``: ``{"to", "text", "in_reply_to"}``."""
        if not self.callback_url:
            raise ValueError("callback_url is not set")
        body = json.dumps({"to": context.get("to"), "text": text,
                           "in_reply_to": context.get("idempotency_key")},
                          ensure_ascii=False).encode()
        return OutboundRequest(
            method="POST", url=str(self.callback_url),
            headers={"Content-Type": "application/json; charset=utf-8",
                     "X-Ijaza-Signature": sign(self.secret, body, int(now.timestamp())),
                     "Idempotency-Key": f"ijaza-{hashlib.sha256(body).hexdigest()[:32]}"},
            content=body)
