"""Any tool over HTTP: JSON ``{contact, text, received_at}`` in, signed with
``X-Ijaza-Signature``; the decision back in the response (return mode) or POSTed, signed the
same way, to ``callback_url`` (send mode).

Signature (both directions): ``X-Ijaza-Signature: t=<unix seconds>,v1=<hex>`` where
``hex = HMAC-SHA256(signing_secret, f"{t}.".encode() + raw_body)``; requests older or newer
than 5 minutes are refused. To check one of our callbacks::

    import hashlib, hmac, time

    def verify(secret: bytes, header: str, body: bytes) -> bool:
        parts = dict(p.split("=", 1) for p in header.split(","))
        if abs(time.time() - int(parts["t"])) > 300:
            return False
        mac = hmac.new(secret, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(mac, parts["v1"])

The dedupe key is the ``Idempotency-Key`` header (or, without one, a hash of the body).
Settings: ``signing_secret``, ``callback_url``.
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


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class GenericChannel:
    platform = "generic"

    def __init__(self, settings: Mapping[str, Any], *,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.secret = str(settings.get("signing_secret") or "")
        self.callback_url = settings.get("callback_url")
        self.now = now

    def verify(self, request: RawRequest) -> None:
        header = request.headers.get("x-ijaza-signature", "")
        try:
            parts = dict(p.strip().split("=", 1) for p in header.split(",") if p.strip())
            ts = int(parts["t"])
            given = parts["v1"]
        except (KeyError, ValueError) as exc:
            raise VerificationFailed("missing or malformed X-Ijaza-Signature") from exc
        if not self.secret or abs(self.now().timestamp() - ts) > WINDOW:
            raise VerificationFailed("signature timestamp outside the 5-minute window")
        expected = sign(self.secret, request.body, ts).split("v1=")[1]
        if not hmac.compare_digest(expected, given):
            raise VerificationFailed("X-Ijaza-Signature mismatch")

    def parse(self, request: RawRequest) -> Handshake | list[Inbound | Ignored]:
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadPayload("not JSON") from exc
        contact = body.get("contact") if isinstance(body, dict) else None
        if isinstance(contact, str):
            contact = {"address": contact}
        if not isinstance(contact, dict) or not str(contact.get("address") or "").strip():
            raise BadPayload("'contact.address' is required")
        received = request.received_at
        if body.get("received_at"):
            try:
                received = datetime.fromisoformat(str(body["received_at"]))
            except ValueError as exc:
                raise BadPayload("'received_at' is not ISO 8601") from exc
            if received.tzinfo is None:
                raise BadPayload("'received_at' needs a UTC offset")
        key = request.headers.get("idempotency-key") or hashlib.sha256(request.body).hexdigest()
        language = contact.get("language") if contact.get("language") in ("ar", "en") else None
        address = str(contact["address"]).strip()
        return [Inbound(platform=self.platform, dedupe_key=key[:300], address=address,
                        name=contact.get("name"), language_hint=language,
                        text=str(body.get("text") or ""), subject=body.get("subject"),
                        received_at=received, conversation=address,
                        reply_context={"to": address, "idempotency_key": key[:300]})]

    def webhook_response(self, inbound: Inbound | None, reply_text: str | None) -> Handshake:
        return json_handshake({"reply": reply_text})

    def build_send(self, context: Mapping[str, Any], text: str) -> OutboundRequest:
        body = json.dumps({"to": context.get("to"), "text": text,
                           "in_reply_to": context.get("idempotency_key")},
                          ensure_ascii=False).encode()
        return OutboundRequest(
            method="POST", url=str(self.callback_url),
            headers={"Content-Type": "application/json",
                     "X-Ijaza-Signature": sign(self.secret, body, int(self.now().timestamp())),
                     "Idempotency-Key": f"ijaza-{hashlib.sha256(body).hexdigest()[:32]}"},
            content=body)

    def classify_response(self, status: int, headers: Mapping[str, str], body: bytes) -> SendResult:
        return http_result(status, headers)
