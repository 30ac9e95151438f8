"""A channel that only writes to the log what it would send: the default outside
production, and the way to try Ijaza without connecting a platform.

It has no webhook (every request is refused: there is nothing to verify it with), and
``send`` is a log line that returns ``SendResult(ok=True)``. Settings: none.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from app.channels.base import (
    Channel,
    Handshake,
    Ignored,
    RawRequest,
    SendResult,
    VerificationFailed,
)
from app.domain.model import InboundMessage
from app.logs import log


class ConsoleChannel(Channel):
    platform = "console"

    def verify(self, request: RawRequest) -> None:
        raise VerificationFailed("the console channel has no webhook")

    def parse(self, request: RawRequest) -> Handshake | list[InboundMessage | Ignored]:
        return [Ignored("console channel")]

    def webhook_response(self, inbound: InboundMessage | None,
                         reply: str | Mapping[str, Any] | None) -> Handshake:
        return Handshake(status=200, body=b"", media_type="text/plain")

    async def send(self, http: httpx.AsyncClient, context: Mapping[str, Any], text: str, *,
                   now: datetime, allow_private: bool = False) -> SendResult:
        """Log what would be sent (recipient and length, never the text: it may be personal)."""
        log.info("console channel: would send", to=context.get("to"), chars=len(text))
        return SendResult(ok=True, detail="logged")
