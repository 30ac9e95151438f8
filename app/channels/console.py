"""A channel that only writes to the log what it would send: the default outside
production, and the way to try Ijaza without connecting a platform.

It has no webhook (every request is refused: there is nothing to verify it with), and
sending is a log line — ``send`` returns ``SendResult(ok=True)``. ``build_send`` gives a
request with method ``LOG`` that no HTTP client would send; the relay logs console
deliveries itself. Settings: none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.channels.base import (
    Handshake,
    Ignored,
    Inbound,
    OutboundRequest,
    RawRequest,
    SendResult,
    VerificationFailed,
)


class ConsoleChannel:
    platform = "console"

    def __init__(self, settings: Mapping[str, Any] | None = None, **_: Any) -> None:
        self.settings = dict(settings or {})

    def verify(self, request: RawRequest) -> None:
        raise VerificationFailed("the console channel has no webhook")

    def parse(self, request: RawRequest) -> Handshake | list[Inbound | Ignored]:
        return [Ignored("console channel")]

    def webhook_response(self, inbound: Inbound | None, reply_text: str | None) -> Handshake:
        return Handshake(status=200, body=b"", media_type="text/plain")

    def build_send(self, context: Mapping[str, Any], text: str) -> OutboundRequest:
        return OutboundRequest(method="LOG", url="console:", headers={},
                               json={"to": context.get("to"), "text": text})

    def send(self, context: Mapping[str, Any], text: str) -> SendResult:
        """Log what would be sent (recipient and length, never the text: it may be personal)."""
        from app.logs import log

        log.info("console channel: would send", to=context.get("to"), chars=len(text))
        return SendResult(ok=True, detail="logged")

    async def send_email(self, context: Mapping[str, Any], text: str) -> SendResult:
        return self.send(context, text)

    def classify_response(self, status: int, headers: Mapping[str, str], body: bytes) -> SendResult:
        return SendResult(ok=True, detail="logged")

