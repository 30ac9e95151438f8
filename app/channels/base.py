"""The one small interface every platform module implements.

Flow for one webhook: ``verify`` (raw bytes, headers; raise ``VerificationFailed``) →
``parse`` (to zero or more ``Inbound`` items, or ``Ignored`` with a reason) → the inbound
service decides → ``webhook_response`` shapes the HTTP answer (return mode) while
``build_send`` shapes the platform API request that the outbox relay sends later, and
``classify_response`` reads the platform's answer to it (``SendResult``: ok, permanent
failure, or retry — with the platform's ``retry_after`` where it gives one). Email is sent
by SMTP instead: ``EmailChannel.send_email(context, text) -> SendResult``.

Every channel is built from one settings dict (decrypted secrets + plain settings, see
``app.channels.registry``) and a ``now`` callable: the replay windows compare against it,
never against the clock directly.

Errors raised here:
- ``VerificationFailed``: the request is not from the platform (401, no side effect).
- ``BadPayload``: the platform sent something we cannot read (400, no side effect).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class VerificationFailed(Exception):
    """The request's signature, token or timestamp does not check out."""


class BadPayload(Exception):
    """The body cannot be parsed as this platform's webhook."""


@dataclass(frozen=True, slots=True)
class RawRequest:
    """What the webhook endpoint received, untouched."""

    method: str
    url: str  # the public URL the platform called (IJAZA_PUBLIC_BASE_URL + path + query)
    headers: Mapping[str, str]  # lower-cased names
    query: Mapping[str, str]
    body: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Inbound:
    """One message from a client, in platform-neutral terms."""

    platform: str
    dedupe_key: str  # the platform's own id for this delivery (event_id, update_id, ...)
    address: str  # how to reach the sender on this platform (chat id, phone, email)
    text: str
    received_at: datetime
    name: str | None = None
    language_hint: str | None = None  # e.g. Telegram's language_code
    subject: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # email headers, lower-cased
    conversation: str | None = None  # thread / chat to answer in
    reply_context: Mapping[str, Any] = field(default_factory=dict)  # what build_send needs
    suppressed: str | None = None  # set by the parser when the platform says "do not answer"
    from_owner: bool = False  # the owner's own message: counts as activity, never answered


@dataclass(frozen=True, slots=True)
class Ignored:
    """A delivery that is acknowledged and not answered (edits, statuses, bots...)."""

    reason: str


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """A platform API call, ready for the relay to send."""

    method: str
    url: str
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None
    content: bytes | None = None


@dataclass(frozen=True, slots=True)
class Handshake:
    """A verification handshake answered directly (Slack url_verification, WhatsApp GET)."""

    status: int
    body: bytes
    media_type: str


class Channel(Protocol):
    """A platform: configured with the channel's decrypted settings."""

    platform: str

    def verify(self, request: RawRequest) -> None: ...

    def parse(self, request: RawRequest) -> Handshake | list[Inbound | Ignored]: ...

    def webhook_response(self, inbound: Inbound | None, reply_text: str | None) -> Handshake:
        """The HTTP answer to the platform (return mode carries the reply)."""
        ...

    def build_send(self, inbound_context: Mapping[str, Any], text: str) -> OutboundRequest: ...

    def classify_response(self, status: int, headers: Mapping[str, str],
                          body: bytes) -> SendResult:
        """How the platform answered one ``build_send`` request (ok, retry or give up)."""
        ...


@dataclass(frozen=True, slots=True)
class SendResult:
    """How one send attempt went, as the relay needs to know it."""

    ok: bool
    permanent: bool = False
    retry_after: float | None = None
    detail: str = ""


def json_handshake(body: Any, status: int = 200) -> Handshake:
    import json

    return Handshake(status=status, body=json.dumps(body, ensure_ascii=False).encode(),
                     media_type="application/json")


def http_result(status: int, headers: Mapping[str, str], detail: str = "") -> SendResult:
    """The common reading of an HTTP status: 2xx ok, 429 and 5xx retry, other 4xx final."""
    if 200 <= status < 300:
        return SendResult(ok=True, detail=detail or str(status))
    retry_after = None
    raw = {k.lower(): v for k, v in headers.items()}.get("retry-after")
    if raw:
        try:
            retry_after = float(raw)
        except ValueError:
            retry_after = None
    if status == 429 or status >= 500 or status == 408:
        return SendResult(ok=False, retry_after=retry_after, detail=detail or f"HTTP {status}")
    return SendResult(ok=False, permanent=True, detail=detail or f"HTTP {status}")
