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

Settings: ``signing_secret``, ``callback_url`` (send mode), ``mode`` (``return`` |
``send``, default ``return``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from app.channels.base import (
    BadPayload,
    Handshake,
    Ignored,
    Inbound,
    OutboundRequest,
    RawRequest,
    SendResult,
    VerificationFailed,
    http_result,
    json_handshake,
)

WINDOW = 300
MODES = ("return", "send")
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


class GenericChannel:
    platform = "generic"

    def __init__(self, settings: Mapping[str, Any], *,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.secret = str(settings.get("signing_secret") or "")
        self.callback_url = settings.get("callback_url")
        self.mode = str(settings.get("mode") or "return")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        if self.callback_url and not str(self.callback_url).startswith(("https://", "http://")):
            raise ValueError("callback_url must be an http(s) URL")
        self.now = now

    def verify(self, request: RawRequest) -> None:
        check_signature(self.secret, request.headers.get("x-ijaza-signature", ""), request.body,
                        self.now())

    def parse(self, request: RawRequest) -> Handshake | list[Inbound | Ignored]:
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
        return [Inbound(platform=self.platform, dedupe_key=key, address=address,
                        name=contact.get("name") or None,
                        language_hint=str(language).lower() if language else None,
                        text=str(body.get("text") or ""), subject=body.get("subject"),
                        headers={str(k).lower(): str(v) for k, v in headers.items()},
                        received_at=received, conversation=address,
                        reply_context={"to": address, "idempotency_key": key})]

    def webhook_response(self, inbound: Inbound | None,
                         reply_text: str | Mapping[str, Any] | None) -> Handshake:
        """Return mode: the caller gives the answer; a decision (mapping) goes back as it is,
        a bare text as ``{"reply": text}``."""
        if isinstance(reply_text, Mapping):
            return json_handshake(dict(reply_text))
        return json_handshake({"reply": reply_text})

    def build_send(self, context: Mapping[str, Any], text: str) -> OutboundRequest:
        """The signed POST to ``callback_url``: ``{"to", "text", "in_reply_to"}``."""
        if not self.callback_url:
            raise ValueError("callback_url is not set")
        body = json.dumps({"to": context.get("to"), "text": text,
                           "in_reply_to": context.get("idempotency_key")},
                          ensure_ascii=False).encode()
        return OutboundRequest(
            method="POST", url=str(self.callback_url),
            headers={"Content-Type": "application/json; charset=utf-8",
                     "X-Ijaza-Signature": sign(self.secret, body, int(self.now().timestamp())),
                     "Idempotency-Key": f"ijaza-{hashlib.sha256(body).hexdigest()[:32]}"},
            content=body)

    def classify_response(self, status: int, headers: Mapping[str, str], body: bytes) -> SendResult:
        return http_result(status, headers)
