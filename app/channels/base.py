"""The one interface every platform module implements, and the platform's rules with it.

A channel is built from one settings mapping (plain settings, decrypted secrets and the
connection's ``mode``) and a ``now`` callable that its replay windows compare against —
never the clock directly (see ``app.channels.registry.build_channel``).

Flow for one webhook: ``verify`` (raw bytes and headers; raise ``VerificationFailed``) →
``parse`` (to ``InboundMessage`` items and ``Ignored`` reasons, or a ``Handshake`` answered
as it is) → the inbound service decides → ``webhook_response`` shapes the HTTP answer (in
return mode it carries the reply; ``answers_with_decision`` says it carries the whole
decision). Later the relay calls ``send`` with the message's ``reply_context`` (or
``context_for``'s) — ``send`` returns a ``SendResult`` and never raises for a platform's
answer or a network error.

What each platform allows is asked of its channel, never switched on by name:
``Settings`` (the pydantic model of its settings, secrets marked with ``secret()``),
``modes`` (the first is the natural one), ``show_address``, ``context_for`` and
``may_write_first``.

Errors raised here:
- ``VerificationFailed``: the request is not from the platform (401, no side effect).
- ``BadPayload``: the platform sent something we cannot read (400, no side effect).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, Field

from app.domain.model import InboundMessage
from app.domain.retry import retry_after_seconds


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
class Ignored:
    """A delivery that is acknowledged and not answered (edits, statuses, bots...).
    ``tell_owner``: a client's message all the same, which the owner should see in their
    activity (a mail too complex to read)."""

    reason: str
    tell_owner: bool = False


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    """A platform API call, ready to go on the wire."""

    method: str
    url: str
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None
    content: bytes | None = None


@dataclass(frozen=True, slots=True)
class Handshake:
    """An HTTP answer given as it is (Slack url_verification, WhatsApp GET, webhook answers)."""

    status: int
    body: bytes
    media_type: str


@dataclass(frozen=True, slots=True)
class SendResult:
    """How one send attempt went: ok, failed for good (``permanent``), or worth retrying
    (after ``retry_after`` seconds when the platform says so)."""

    ok: bool
    permanent: bool = False
    retry_after: float | None = None
    detail: str = ""
    status_code: int | None = None  # the platform's HTTP status, when it answered over HTTP


_SECRET = "secret"


def secret() -> Any:
    """A secret setting: write-only through the API, sealed at rest, never returned."""
    return Field("", repr=False, json_schema_extra={_SECRET: True})


class ChannelSettings(BaseModel):
    """One platform's settings. Unknown keys are refused. A secret left out is ``""``, so
    that a channel can be built for its rules without its secrets; ``missing`` says what a
    mode cannot work without."""

    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)

    required: ClassVar[tuple[str, ...]] = ()
    required_to_send: ClassVar[tuple[str, ...]] = ()  # and for mode "send"

    @classmethod
    def secret_names(cls) -> frozenset[str]:
        return frozenset(name for name, info in cls.model_fields.items()
                         if isinstance(info.json_schema_extra, dict)
                         and info.json_schema_extra.get(_SECRET))

    def missing(self, mode: str) -> list[str]:
        """The settings ``mode`` needs that are not set, in the order they are declared."""
        needed = self.required + (self.required_to_send if mode == "send" else ())
        return [name for name in needed if not getattr(self, name)]


class Channel:
    """A platform, configured. Subclasses set ``platform``, ``Settings`` and ``modes`` and
    implement ``verify``, ``parse`` and ``webhook_response``; channels that send over HTTP
    implement ``build_send`` and ``classify_response`` and inherit ``send``."""

    platform: ClassVar[str]
    Settings: ClassVar[type[ChannelSettings]] = ChannelSettings
    modes: ClassVar[tuple[str, ...]] = ("send",)  # "return": the reply is the webhook answer

    def __init__(self, settings: Mapping[str, Any], *, now: Callable[[], datetime]) -> None:
        """Raises ValueError (pydantic's ValidationError is one) for unusable settings."""
        values = dict(settings)
        self.mode = str(values.pop("mode", None) or self.modes[0])
        if self.mode not in self.modes:
            raise ValueError(f"mode must be one of {', '.join(self.modes)}")
        self.settings = self.Settings.model_validate(values)
        self.now = now

    # --- the webhook ---------------------------------------------------------------------

    def verify(self, request: RawRequest) -> None:
        """Raise ``VerificationFailed`` unless the request is from the platform."""
        raise NotImplementedError

    def parse(self, request: RawRequest) -> Handshake | list[InboundMessage | Ignored]:
        """The messages in a verified request (``BadPayload`` if it cannot be read)."""
        raise NotImplementedError

    def webhook_response(self, inbound: InboundMessage | None,
                         reply: str | Mapping[str, Any] | None) -> Handshake:
        """The HTTP answer to the platform; in return mode it carries ``reply``."""
        raise NotImplementedError

    def replay_token(self, request: RawRequest) -> tuple[str, datetime] | None:
        """A verified request's one-time token and until when it must be remembered, for
        platforms whose signature does not cover the body (Mailgun): a second request
        with the token and another body is a replay. None: the signature covers it."""
        return None

    @property
    def answers_with_decision(self) -> bool:
        """Whether ``webhook_response`` is given the whole decision (a mapping) instead of
        the reply's text."""
        return False

    # --- the platform's rules ----------------------------------------------------------------

    def show_address(self, address: str) -> str:
        """The address as a person reads it (in a forward, a digest, a log line)."""
        return address

    def context_for(self, address: str, *, subject: str | None, unsolicited: bool,
                    reply_context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """What ``send`` needs to write to ``address`` outside a reply: ``unsolicited`` for
        a message nobody asked for (a notice, a forward, a digest); ``reply_context`` is the
        last message's, when known — the message then goes to that conversation."""
        return dict(reply_context) if reply_context else self._reach(address)

    def _reach(self, address: str) -> dict[str, Any]:
        return {"to": address}

    def inert(self, text: str) -> str:
        """``text`` from a client made inert for this platform, for a message that carries
        it to someone else (the delegate's forward): no markup the platform would act on,
        no bidi overrides that disguise it. Plain-text platforms only lose the overrides."""
        return without_bidi_overrides(text)

    def may_write_first(self, *, last_seen_at: datetime | None, now: datetime) -> bool:
        """Whether a message nobody asked for may go to a contact last heard from at
        ``last_seen_at`` (None: never)."""
        return True

    # --- sending -------------------------------------------------------------------------------

    async def send(self, http: httpx.AsyncClient, context: Mapping[str, Any], text: str, *,
                   now: datetime, allow_private: bool = False) -> SendResult:
        """One attempt to send ``text``; never raises for the platform's answer or the
        network (a timeout or a refused connection is worth retrying)."""
        try:
            request = self.build_send(context, text, now=now)
        except ValueError as exc:  # the settings or the context cannot make a request
            return SendResult(ok=False, permanent=True, detail=str(exc))
        try:
            response = await http.request(request.method, request.url, headers=request.headers,
                                          json=request.json, data=request.form,
                                          content=request.content)
        except httpx.TimeoutException as exc:
            return SendResult(ok=False, detail=f"timeout: {type(exc).__name__}")
        except httpx.TransportError as exc:
            return SendResult(ok=False, detail=f"transport: {type(exc).__name__}")
        try:
            outcome = self.classify_response(response.status_code, response.headers,
                                             response.content)
        except Exception:  # noqa: BLE001 — an answer we cannot read is one failed attempt
            outcome = SendResult(ok=False, detail=f"unreadable answer (HTTP {response.status_code})")
        return replace(outcome, status_code=response.status_code)

    def build_send(self, context: Mapping[str, Any], text: str, *, now: datetime) -> OutboundRequest:
        """The platform API request that sends ``text`` (ValueError if none can be made)."""
        raise NotImplementedError

    def classify_response(self, status: int, headers: Mapping[str, str], body: bytes) -> SendResult:
        """How the platform answered one ``build_send`` request."""
        return http_result(status, headers, now=self.now())


def json_handshake(body: Any, status: int = 200) -> Handshake:
    return Handshake(status=status, body=json.dumps(body, ensure_ascii=False).encode(),
                     media_type="application/json")


def http_result(status: int, headers: Mapping[str, str], detail: str = "", *,
                now: datetime) -> SendResult:
    """The common reading of an HTTP status: 2xx ok, 408, 429 and 5xx retry, other 4xx final;
    ``Retry-After`` in seconds or as an HTTP date (compared with ``now``)."""
    if 200 <= status < 300:
        return SendResult(ok=True, detail=detail or str(status))
    raw = {k.lower(): v for k, v in headers.items()}.get("retry-after")
    retry_after = retry_after_seconds(raw, now=now) if raw else None
    if status == 429 or status >= 500 or status == 408:
        return SendResult(ok=False, retry_after=retry_after, detail=detail or f"HTTP {status}")
    return SendResult(ok=False, permanent=True, detail=detail or f"HTTP {status}")


_CONTROLS = dict.fromkeys(range(32))


def short(value: object, limit: int = 120) -> str:
    """A platform's error code or description as it may be shown to an owner: a string
    field of its documented answer, controls removed, at most ``limit`` characters — never
    the raw body."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return ""
    return str(value).translate(_CONTROLS)[:limit]


# Embedding, override and isolate controls (Unicode TR 9): they can make a link or an
# address read as something else ("Trojan Source"); a forward is plain text without them.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def without_bidi_overrides(text: str) -> str:
    """``text`` without bidi embedding, override and isolate controls."""
    return text.translate(_BIDI_CONTROLS)
