"""Twilio Messaging (SMS and WhatsApp through Twilio): ``X-Twilio-Signature`` over the
public URL and the sorted form parameters, answered with TwiML in the webhook response.

Settings: ``auth_token``; for messages we start ourselves (forwards), ``account_sid`` and
``from_number``; ``api_base_url`` (default https://api.twilio.com).

The URL that is signed is the one Twilio called: ``IJAZA_PUBLIC_BASE_URL`` + path + query,
so behind a proxy that base URL must be the public one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit, urlunsplit
from xml.sax.saxutils import escape

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
)

NO_REPLY = b'<?xml version="1.0" encoding="UTF-8"?><Response />'


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's request signature: Base64(HMAC-SHA1(token, url + sorted name+value pairs))."""
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    payload = url + "".join(name + value for name in sorted(grouped)
                            for value in sorted(set(grouped[name])))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _url_variants(url: str) -> list[str]:
    """The URL as given, and with the default port added or removed (Twilio is inconsistent)."""
    parts = urlsplit(url)
    variants = [url]
    default = {"https": 443, "http": 80}.get(parts.scheme)
    if parts.port is None and default is not None:
        variants.append(urlunsplit(parts._replace(netloc=f"{parts.hostname}:{default}")))
    elif parts.port is not None:
        variants.append(urlunsplit(parts._replace(netloc=parts.hostname or "")))
    return variants


class TwilioChannel:
    platform = "twilio"

    def __init__(self, settings: Mapping[str, Any], **_: Any) -> None:
        self.auth_token = str(settings.get("auth_token") or "")
        self.account_sid = settings.get("account_sid")
        self.from_number = settings.get("from_number")
        self.api = str(settings.get("api_base_url") or "https://api.twilio.com").rstrip("/")

    def verify(self, request: RawRequest) -> None:
        given = request.headers.get("x-twilio-signature", "")
        if not given or not self.auth_token:
            raise VerificationFailed("missing X-Twilio-Signature")
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            query = parse_qs(urlsplit(request.url).query)
            wanted = hashlib.sha256(request.body).hexdigest()
            if not hmac.compare_digest(wanted, (query.get("bodySHA256") or [""])[0]):
                raise VerificationFailed("bodySHA256 mismatch")
            params: list[tuple[str, str]] = []
        else:
            params = parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        for url in _url_variants(request.url):
            if hmac.compare_digest(signature(self.auth_token, url, params), given):
                return
        raise VerificationFailed("X-Twilio-Signature mismatch")

    def parse(self, request: RawRequest) -> Handshake | list[Inbound | Ignored]:
        try:
            form = dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise BadPayload("not a form") from exc
        sid = form.get("MessageSid") or form.get("SmsSid")
        if not sid or not form.get("From"):
            raise BadPayload("not a Twilio message webhook")
        if "Body" not in form and (form.get("MessageStatus") or form.get("SmsStatus")):
            return [Ignored("status callback")]
        return [Inbound(platform=self.platform, dedupe_key=sid, address=form["From"],
                        text=form.get("Body", ""), received_at=request.received_at,
                        conversation=form["From"],
                        reply_context={"to": form["From"], "from": form.get("To")})]

    def webhook_response(self, inbound: Inbound | None, reply_text: str | None) -> Handshake:
        if inbound is None or not reply_text:
            return Handshake(status=200, body=NO_REPLY, media_type="text/xml")
        body = ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
                f"{escape(reply_text)}</Message></Response>")
        return Handshake(status=200, body=body.encode(), media_type="text/xml")

    def build_send(self, context: Mapping[str, Any], text: str) -> OutboundRequest:
        token = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return OutboundRequest(
            method="POST", url=f"{self.api}/2010-04-01/Accounts/{self.account_sid}/Messages.json",
            headers={"Authorization": f"Basic {token}"},
            form={"To": str(context.get("to")), "From": str(context.get("from") or self.from_number),
                  "Body": text})

    def classify_response(self, status: int, headers: Mapping[str, str], body: bytes) -> SendResult:
        return http_result(status, headers)
