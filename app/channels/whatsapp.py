"""WhatsApp Cloud API webhooks: the GET subscription handshake, ``X-Hub-Signature-256``
over the raw body, batched notifications, replies through ``/{phone_number_id}/messages``.

Settings: ``app_secret`` (``X-Hub-Signature-256`` = ``sha256=`` + hex HMAC-SHA256 of the
raw body — Meta signs the ``\\uXXXX``-escaped bytes it sends, so never re-serialise),
``verify_token`` (the GET handshake's ``hub.verify_token``), ``access_token``,
``phone_number_id`` (default sender; the notification's ``metadata.phone_number_id`` wins
for replies), ``api_base_url`` (default https://graph.facebook.com/v25.0),
``template_name`` and ``template_language`` (default ``ar``): a pre-approved template used
when the last message from the client is more than 24 hours old (outside the customer
service window only templates may be sent). The template must have one body variable
``{{1}}``, which receives the text (newlines folded to spaces, as Meta requires); without a
template such a send fails permanently (error 131047), which is the honest outcome.

Every ``entry[]`` / ``changes[]`` / ``messages[]`` is read (notifications may be batched).
Non-text messages (voice notes, images, documents, locations, unsupported types) are
answered too: a client who sends a voice note during Eid deserves the same notice — the
text is the caption, or empty. Ignored: ``statuses[]`` (receipts of our own sends), fields
other than ``messages`` (including ``smb_message_echoes``), reactions, ``system`` and
``request_welcome`` messages. The dedupe key is the message id (wamid).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
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
    secret,
    short,
)
from app.domain.model import InboundMessage

# Throughput (130429), pair rate limit (131056), generic temporary errors (1, 2, 131000),
# app and account rate limits (4, 80007): worth trying again even when answered with a 4xx.
RETRYABLE_CODES = frozenset({130429, 131056, 131000, 1, 2, 4, 80007})
NOT_ANSWERED_TYPES = frozenset({"reaction", "system", "request_welcome"})
SERVICE_WINDOW = timedelta(hours=24)


class WhatsAppSettings(ChannelSettings):
    required = ("app_secret", "verify_token")
    required_to_send = ("access_token", "phone_number_id")

    app_secret: str = secret()
    verify_token: str = secret()
    access_token: str = secret()
    phone_number_id: str | None = None
    api_base_url: str = "https://graph.facebook.com/v25.0"
    template_name: str | None = None
    template_language: str = "ar"


class WhatsAppChannel(Channel):
    platform = "whatsapp"
    Settings = WhatsAppSettings
    settings: WhatsAppSettings  # what Channel.__init__ validates with Settings
    modes = ("send",)

    def __init__(self, settings: Mapping[str, Any], *, now: Callable[[], datetime]) -> None:
        super().__init__(settings, now=now)
        self.app_secret = self.settings.app_secret
        self.verify_token = self.settings.verify_token
        self.access_token = self.settings.access_token
        self.phone_number_id = self.settings.phone_number_id
        self.template_name = self.settings.template_name
        self.template_language = self.settings.template_language or "ar"
        self.api = self.settings.api_base_url.rstrip("/")

    def verify(self, request: RawRequest) -> None:
        if request.method == "GET":
            token = request.query.get("hub.verify_token", "")
            if request.query.get("hub.mode") != "subscribe" or not self.verify_token or not \
                    hmac.compare_digest(token.encode(), self.verify_token.encode()):
                raise VerificationFailed("wrong hub.verify_token")
            return
        header = request.headers.get("x-hub-signature-256", "")
        if not header.startswith("sha256=") or not self.app_secret:
            raise VerificationFailed("missing X-Hub-Signature-256")
        expected = hmac.new(self.app_secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, header.removeprefix("sha256=").lower()):
            raise VerificationFailed("X-Hub-Signature-256 mismatch")

    def parse(self, request: RawRequest) -> Handshake | list[InboundMessage | Ignored]:
        if request.method == "GET":
            return Handshake(status=200, body=request.query.get("hub.challenge", "").encode(),
                             media_type="text/plain")
        try:
            body = json.loads(request.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadPayload("not JSON") from exc
        if not isinstance(body, dict) or not isinstance(body.get("entry"), list):
            raise BadPayload("not a WhatsApp notification")
        items: list[InboundMessage | Ignored] = []
        for entry in body["entry"]:
            for change in (entry or {}).get("changes") or []:
                if change.get("field") != "messages":
                    items.append(Ignored(f"field {change.get('field')!r}"))
                    continue
                value = change.get("value") or {}
                if value.get("statuses"):
                    items.append(Ignored("status"))
                names = {c.get("wa_id"): (c.get("profile") or {}).get("name")
                         for c in value.get("contacts") or []}
                phone_id = (value.get("metadata") or {}).get("phone_number_id") or self.phone_number_id
                for message in value.get("messages") or []:
                    items.append(self._message(message, names, phone_id, request))
        return items or [Ignored("empty notification")]

    def _message(self, message: Mapping[str, Any], names: Mapping[str, Any], phone_id: Any,
                 request: RawRequest) -> InboundMessage | Ignored:
        kind = message.get("type")
        if kind in NOT_ANSWERED_TYPES:
            return Ignored(f"type {kind}")
        sender = str(message.get("from") or "")
        if not sender or not message.get("id"):
            return Ignored("message without sender or id")
        text = ""
        if kind == "text":
            text = str((message.get("text") or {}).get("body") or "")
        elif isinstance(kind, str) and isinstance(message.get(kind), dict):
            text = str(message[kind].get("caption") or "")
        try:
            received = datetime.fromtimestamp(int(message.get("timestamp", "")), UTC)
        except (TypeError, ValueError):
            received = request.received_at
        to = "+" + sender.lstrip("+")
        return InboundMessage(platform=self.platform, dedupe_key=str(message["id"]), address=to,
                              name=names.get(sender), text=text, received_at=received,
                              reply_context={"to": to, "phone_number_id": phone_id,
                                             "message_id": message["id"],
                                             "received_at": received.isoformat()})

    def webhook_response(self, inbound: InboundMessage | None,
                         reply: str | Mapping[str, Any] | None) -> Handshake:
        return Handshake(status=200, body=b"", media_type="text/plain")

    def _reach(self, address: str) -> dict[str, Any]:
        return {"to": address, "phone_number_id": self.phone_number_id}

    def may_write_first(self, *, last_seen_at: datetime | None, now: datetime) -> bool:
        """Inside the 24-hour customer service window any text may go; outside it only a
        pre-approved template."""
        inside = last_seen_at is not None and now - last_seen_at < SERVICE_WINDOW
        return inside or bool(self.template_name)

    def build_send(self, context: Mapping[str, Any], text: str, *, now: datetime) -> OutboundRequest:
        phone_id = context.get("phone_number_id") or self.phone_number_id
        to = str(context.get("to") or "")
        if to and not to.startswith("+"):
            to = "+" + to  # Meta: include + and the country code
        payload: dict[str, Any] = {"messaging_product": "whatsapp", "recipient_type": "individual",
                                   "to": to}
        if self.template_name and (context.get("use_template")
                                   or not self._inside_window(context, now)):
            payload |= {"type": "template", "template": {
                "name": self.template_name, "language": {"code": self.template_language},
                "components": [{"type": "body", "parameters": [
                    {"type": "text", "text": " ".join(text.split())}]}]}}
        else:
            payload |= {"type": "text", "text": {"preview_url": False, "body": text}}
            if context.get("message_id") and not context.get("unsolicited"):
                payload["context"] = {"message_id": context["message_id"]}
        return OutboundRequest(method="POST", url=f"{self.api}/{phone_id}/messages",
                               headers={"Content-Type": "application/json",
                                        "Authorization": f"Bearer {self.access_token}"},
                               json=payload)

    def _inside_window(self, context: Mapping[str, Any], now: datetime) -> bool:
        """Whether the client's last message (``received_at``) is less than 24 h old."""
        try:
            last = datetime.fromisoformat(str(context.get("received_at")))
        except ValueError:
            return not context.get("unsolicited")
        if last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        return now - last < SERVICE_WINDOW

    def classify_response(self, status: int, headers: Mapping[str, str], body: bytes) -> SendResult:
        if 200 <= status < 300:
            return SendResult(ok=True, detail="accepted")
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(error, dict):
            error = {}
        code = error.get("code")
        if isinstance(code, bool) or not isinstance(code, int | str):
            code = None
        detail = f"{code}: {short(error.get('message'))}" if code else f"HTTP {status}"
        if code in RETRYABLE_CODES:
            return SendResult(ok=False, detail=detail,
                              retry_after=http_result(status, headers, now=self.now()).retry_after)
        return http_result(status, headers, detail=detail, now=self.now())
