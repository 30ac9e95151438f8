"""Telegram Bot API webhooks: the secret-token header, private chats, replies in the
webhook response (return mode) or through ``sendMessage`` (send mode).

Settings: ``secret_token`` (set with setWebhook; compared in constant time with
``X-Telegram-Bot-Api-Secret-Token``), ``bot_token`` (send mode), ``allow_groups`` (default
false: only private chats are answered), ``api_base_url`` (default https://api.telegram.org).

Ignored: edits (``edited_message``, ``edited_channel_post``, ``edited_business_message``),
updates that are not messages (callback queries, ``my_chat_member``, reactions, polls,
channel posts), messages from bots, and group/supergroup chats unless ``allow_groups``.
A message without text (a voice note, a photo, a sticker) is answered like any other: the
client still deserves the notice. The dedupe key is ``update_id``.
"""

from __future__ import annotations

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
)
from app.domain.model import InboundMessage
from app.domain.retry import retry_after_seconds

MAX_TEXT = 4096
EDITS = ("edited_message", "edited_channel_post", "edited_business_message")


class TelegramSettings(ChannelSettings):
    required = ("secret_token",)
    required_to_send = ("bot_token",)

    secret_token: str = secret()
    bot_token: str = secret()
    allow_groups: bool = False
    api_base_url: str = "https://api.telegram.org"


class TelegramChannel(Channel):
    platform = "telegram"
    Settings = TelegramSettings
    settings: TelegramSettings  # what Channel.__init__ validates with Settings
    modes = ("return", "send")

    def __init__(self, settings: Mapping[str, Any], *, now: Callable[[], datetime]) -> None:
        super().__init__(settings, now=now)
        self.secret_token = self.settings.secret_token
        self.bot_token = self.settings.bot_token
        self.allow_groups = self.settings.allow_groups
        self.api = self.settings.api_base_url.rstrip("/")

    def verify(self, request: RawRequest) -> None:
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not given or not self.secret_token or not hmac.compare_digest(
                given.encode(), self.secret_token.encode()):
            raise VerificationFailed("missing or wrong X-Telegram-Bot-Api-Secret-Token")

    def parse(self, request: RawRequest) -> Handshake | list[InboundMessage | Ignored]:
        try:
            update = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadPayload("not JSON") from exc
        if not isinstance(update, dict) or "update_id" not in update:
            raise BadPayload("not a Telegram Update")
        for edit in EDITS:
            if edit in update:
                return [Ignored("edit")]
        message = update.get("message") or update.get("business_message")
        if not isinstance(message, dict):
            return [Ignored("not a message")]
        chat = message.get("chat") or {}
        sender = message.get("from") or {}
        if chat.get("id") is None:
            raise BadPayload("a message without chat.id")
        if sender.get("is_bot"):
            return [Ignored("bot")]
        if chat.get("type") != "private" and not self.allow_groups:
            return [Ignored(f"{chat.get('type')} chat")]
        name = " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)
        language = str(sender.get("language_code") or "").split("-")[0].lower() or None
        try:
            received = datetime.fromtimestamp(int(message.get("date", "")), UTC)
        except (TypeError, ValueError):
            received = request.received_at
        return [InboundMessage(
            platform=self.platform, dedupe_key=str(update["update_id"]),
            address=str(chat.get("id")), name=name or None,
            language_hint=language,
            text=str(message.get("text") or message.get("caption") or ""),
            received_at=received,
            reply_context={"chat_id": chat.get("id"), "message_id": message.get("message_id"),
                           **({"business_connection_id": message["business_connection_id"]}
                              if message.get("business_connection_id") else {})})]

    def _send_body(self, context: Mapping[str, Any], text: str) -> dict[str, Any]:
        body: dict[str, Any] = {"chat_id": context.get("chat_id"), "text": text[:MAX_TEXT]}
        if context.get("message_id") is not None:
            body["reply_parameters"] = {"message_id": context["message_id"]}
        if context.get("business_connection_id"):  # replying on behalf of a business account
            body["business_connection_id"] = context["business_connection_id"]
        return body

    def webhook_response(self, inbound: InboundMessage | None,
                         reply: str | Mapping[str, Any] | None) -> Handshake:
        if inbound is None or not reply:
            return json_handshake({})
        return json_handshake({"method": "sendMessage",
                               **self._send_body(inbound.reply_context, str(reply))})

    def show_address(self, address: str) -> str:
        return f"Telegram chat {address}"

    def _reach(self, address: str) -> dict[str, Any]:
        return {"chat_id": int(address) if address.lstrip("-").isdigit() else address}

    def may_write_first(self, *, last_seen_at: datetime | None, now: datetime) -> bool:
        return self.mode == "send"  # writing first needs the bot token, which only send mode requires

    def build_send(self, context: Mapping[str, Any], text: str, *, now: datetime) -> OutboundRequest:
        return OutboundRequest(method="POST", url=f"{self.api}/bot{self.bot_token}/sendMessage",
                               headers={"Content-Type": "application/json"},
                               json=self._send_body(context, text))

    def classify_response(self, status: int, headers: Mapping[str, str], body: bytes) -> SendResult:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            # Not the Bot API's answer: a 2xx we cannot read is worth one more try.
            return http_result(status if not 200 <= status < 300 else 502, headers,
                               detail=f"unreadable answer (HTTP {status})", now=self.now())
        if status == 200 and data.get("ok", True) is True:
            return SendResult(ok=True, detail="sent")
        parameters = data.get("parameters")
        retry_after = retry_after_seconds(
            parameters.get("retry_after") if isinstance(parameters, dict) else None,
            now=self.now())
        detail = short(data.get("description")) or f"HTTP {status}"
        if status == 429 or data.get("error_code") == 429:
            return SendResult(ok=False, retry_after=retry_after or 1.0, detail=detail)
        return http_result(status if status != 200 else 400, headers, detail=detail, now=self.now())
