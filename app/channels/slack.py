"""Slack Events API: v0 signatures (5-minute window), DMs answered with chat.postMessage.

Settings: ``signing_secret``, ``bot_token``, ``bot_user_id`` and ``bot_id`` (our own bot,
to ignore its echoes — ``auth.test`` gives both), ``owner_user_id`` (optional: the owner's
own Slack user, whose messages count as activity and are never answered),
``api_base_url`` (default https://slack.com/api).

Verification (PROTOCOLS.md §1.1): ``v0=hex(HMAC-SHA256(signing_secret,
"v0:" + X-Slack-Request-Timestamp + ":" + raw body))``, compared in constant time; a
timestamp more than 300 s before *or after* ``now`` is refused. ``url_verification`` is
verified like everything else and answered with ``{"challenge": ...}``.

What is answered: plain ``message`` events in direct messages (``channel_type == "im"``).
Ignored: our own bot (``bot_id`` or ``bot_user_id``), any ``subtype`` (``bot_message``,
``message_changed``, ``message_deleted``, joins …), messages without a user, and messages in
channels, groups and multi-person DMs — an availability notice in a shared channel would
be noise. Retries (``X-Slack-Retry-Num``) parse to the same ``event_id`` dedupe key, so the
decision layer answers once.
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
    Channel,
    ChannelSettings,
    Handshake,
    Ignored,
    OutboundRequest,
    RawRequest,
    SendResult,
    VerificationFailed,
    http_result,
    json_handshake,
    secret,
    short,
    without_bidi_overrides,
)
from app.domain.model import InboundMessage

REPLAY_WINDOW = 300
# Errors that will not go away by trying again (Slack answers them with HTTP 200).
PERMANENT = frozenset({"channel_not_found", "invalid_auth", "not_authed", "account_inactive",
                       "token_revoked", "is_archived", "msg_too_long", "no_text",
                       "not_in_channel", "restricted_action", "missing_scope",
                       "invalid_arguments", "user_not_found", "cannot_dm_bot"})


_ACKNOWLEDGED = json_handshake({})


class SlackSettings(ChannelSettings):
    required = ("signing_secret", "bot_token")

    signing_secret: str = secret()
    bot_token: str = secret()
    bot_user_id: str | None = None
    bot_id: str | None = None
    owner_user_id: str | None = None
    api_base_url: str = "https://slack.com/api"


class SlackChannel(Channel):
    platform = "slack"
    Settings = SlackSettings
    settings: SlackSettings  # what Channel.__init__ validates with Settings
    modes = ("send",)  # Slack's webhook answer is only an acknowledgement

    def __init__(self, settings: Mapping[str, Any], *, now: Callable[[], datetime]) -> None:
        super().__init__(settings, now=now)
        self.signing_secret = self.settings.signing_secret
        self.bot_token = self.settings.bot_token
        self.bot_user_id = self.settings.bot_user_id
        self.bot_id = self.settings.bot_id
        self.owner_user_id = self.settings.owner_user_id
        self.api = self.settings.api_base_url.rstrip("/")

    def verify(self, request: RawRequest) -> None:
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        signature = request.headers.get("x-slack-signature", "")
        if not timestamp or not signature or not self.signing_secret:
            raise VerificationFailed("missing Slack signature headers")
        try:
            ts = int(timestamp)
        except ValueError as exc:
            raise VerificationFailed("bad X-Slack-Request-Timestamp") from exc
        if abs(self.now().timestamp() - ts) > REPLAY_WINDOW:
            raise VerificationFailed("timestamp outside the 5-minute window")
        base = b"v0:" + timestamp.encode() + b":" + request.body
        expected = "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise VerificationFailed("Slack signature mismatch")

    def parse(self, request: RawRequest) -> Handshake | list[InboundMessage | Ignored]:
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadPayload("not JSON") from exc
        if not isinstance(body, dict):
            raise BadPayload("not a JSON object")
        if body.get("type") == "url_verification":
            if not isinstance(body.get("challenge"), str):
                raise BadPayload("url_verification without a challenge")
            return json_handshake({"challenge": body["challenge"]})
        if body.get("type") != "event_callback" or not isinstance(body.get("event"), dict):
            return [Ignored(f"event type {body.get('type')!r}")]
        event = body["event"]
        if event.get("type") != "message":
            return [Ignored(f"event {event.get('type')!r}")]
        if (self.bot_id and event.get("bot_id") == self.bot_id) or (
                self.bot_user_id and event.get("user") == self.bot_user_id):
            return [Ignored("own_message")]
        if event.get("subtype"):
            return [Ignored(f"subtype {event['subtype']}")]
        if event.get("bot_id") or not event.get("user"):
            return [Ignored("bot")]
        if event.get("channel_type") != "im":
            return [Ignored(f"channel_type {event.get('channel_type')}")]
        ts = event.get("ts") or event.get("event_ts")
        try:
            received = datetime.fromtimestamp(float(ts), UTC) if ts else request.received_at
        except (TypeError, ValueError):
            received = request.received_at
        return [InboundMessage(
            platform=self.platform, dedupe_key=str(body.get("event_id") or ts),
            address=str(event["user"]), text=str(event.get("text") or ""), received_at=received,
            reply_context={"channel": event.get("channel"), "thread_ts": event.get("ts")},
            from_owner=bool(self.owner_user_id and event.get("user") == self.owner_user_id))]

    def webhook_response(self, inbound: InboundMessage | None,
                         reply: str | Mapping[str, Any] | None) -> Handshake:
        """Slack's 200 is only an acknowledgement: the reply goes by chat.postMessage."""
        return _ACKNOWLEDGED

    def show_address(self, address: str) -> str:
        return f"Slack user {address}"

    def _reach(self, address: str) -> dict[str, Any]:
        return {"channel": address}  # a user id as the channel: Slack opens the DM

    def inert(self, text: str) -> str:
        """Slack's own escaping (docs.slack.dev, "Formatting text for app surfaces"):
        ``&``, ``<`` and ``>`` as entities, so ``<!channel>``, ``<!here>``, ``<@U…>``,
        ``<#C…>`` and ``<http://evil|bank.com>`` arrive as text, not mentions or links."""
        return (without_bidi_overrides(text).replace("&", "&amp;").replace("<", "&lt;")
                .replace(">", "&gt;"))

    def build_send(self, context: Mapping[str, Any], text: str, *, now: datetime) -> OutboundRequest:
        payload: dict[str, Any] = {"channel": context.get("channel"), "text": text}
        if context.get("thread_ts"):
            payload["thread_ts"] = context["thread_ts"]
        return OutboundRequest(
            method="POST", url=f"{self.api}/chat.postMessage",
            headers={"Content-Type": "application/json; charset=utf-8",
                     "Authorization": f"Bearer {self.bot_token}"},
            json=payload)

    def classify_response(self, status: int, headers: Mapping[str, str], body: bytes) -> SendResult:
        if status != 200:
            return http_result(status, headers, now=self.now())
        try:
            data = json.loads(body)
        except ValueError:
            return SendResult(ok=False, detail="Slack answered something that is not JSON")
        if not isinstance(data, dict):
            return SendResult(ok=False, detail="Slack answered JSON that is not an object")
        if data.get("ok") is True:
            return SendResult(ok=True, detail=short(data.get("ts")) or "ok")
        error = short(data.get("error")) or "unknown_error"
        if error == "ratelimited":
            return http_result(429, headers, detail=error, now=self.now())
        return SendResult(ok=False, permanent=error in PERMANENT, detail=error)
