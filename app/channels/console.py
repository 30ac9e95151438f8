"""A channel that only writes to the log what it would send: the default outside production
and the way to try Ijaza without connecting a platform."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.channels.base import Handshake, Ignored, Inbound, OutboundRequest, RawRequest, SendResult


class ConsoleChannel:
    platform = "console"

    def __init__(self, settings: Mapping[str, Any] | None = None, **_: Any) -> None:
        self.settings = dict(settings or {})

    def verify(self, request: RawRequest) -> None:
        from app.channels.base import VerificationFailed

        raise VerificationFailed("the console channel has no webhook")

    def parse(self, request: RawRequest) -> Handshake | list[Inbound | Ignored]:
        return [Ignored("console")]

    def webhook_response(self, inbound: Inbound | None, reply_text: str | None) -> Handshake:
        return Handshake(status=200, body=b"", media_type="text/plain")

    def build_send(self, context: Mapping[str, Any], text: str) -> OutboundRequest:
        return OutboundRequest(method="LOG", url="console:", headers={}, json={"text": text})

    def classify_response(self, status: int, headers: Mapping[str, str], body: bytes) -> SendResult:
        return SendResult(ok=True, detail="logged")
