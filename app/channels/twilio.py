"""Twilio Messaging (SMS and WhatsApp through Twilio): ``X-Twilio-Signature`` over the
public URL and the sorted form parameters, answered with TwiML in the webhook response.

Settings: ``auth_token``; for messages we start ourselves (send mode, forwards),
``account_sid`` and ``from_number``; ``api_base_url`` (default https://api.twilio.com).

Verification (PROTOCOLS.md §4.1, as twilio-python's ``RequestValidator``):
``Base64(HMAC-SHA1(auth_token, url + name1 + value1 + name2 + value2 …))`` with the form
parameters sorted by name (repeated names: values sorted, de-duplicated), tried with the
URL as given, with the default port added and with the port removed (Twilio is not
consistent about ports). JSON bodies: the URL carries ``bodySHA256`` (hex SHA-256 of the
body), checked separately; the signature covers the URL only. The URL that is signed is
the one Twilio called: ``IJAZA_PUBLIC_BASE_URL`` + path + query, so behind a proxy that
base URL must be the public one.

Ignored: status callbacks (``MessageStatus``/``SmsStatus`` without ``Body``) and requests
without ``Body``. The dedupe key is ``MessageSid``. Replies are TwiML in the response,
the text XML-escaped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit, urlunsplit
from xml.sax.saxutils import escape

from app.channels.base import (
    BadPayload,
    Channel,
    ChannelSettings,
    Handshake,
    Ignored,
    OutboundRequest,
    RawRequest,
    VerificationFailed,
    secret,
)
from app.domain.model import InboundMessage

# Characters XML 1.0 does not allow at all (they cannot even be escaped).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
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


def twiml_escape(text: str) -> str:
    """The text as XML character data: ``& < >`` escaped, illegal control characters dropped."""
    return escape(_XML_ILLEGAL.sub("", text))


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


class TwilioSettings(ChannelSettings):
    required = ("auth_token",)

    auth_token: str = secret()
    account_sid: str | None = None
    from_number: str | None = None
    api_base_url: str = "https://api.twilio.com"


class TwilioChannel(Channel):
    platform = "twilio"
    Settings = TwilioSettings
    settings: TwilioSettings  # what Channel.__init__ validates with Settings
    modes = ("return", "send")

    def __init__(self, settings: Mapping[str, Any], *, now: Callable[[], datetime]) -> None:
        super().__init__(settings, now=now)
        self.auth_token = self.settings.auth_token
        self.account_sid = self.settings.account_sid
        self.from_number = self.settings.from_number
        self.api = self.settings.api_base_url.rstrip("/")

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

    def parse(self, request: RawRequest) -> Handshake | list[InboundMessage | Ignored]:
        if request.method == "GET":  # a webhook configured as GET: the parameters are the query
            form = dict(request.query)
        else:
            try:
                form = dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError as exc:
                raise BadPayload("not a form") from exc
        if "Body" not in form:
            if form.get("MessageStatus") or form.get("SmsStatus"):
                return [Ignored("status callback")]
            return [Ignored("no Body")]
        sid = form.get("MessageSid") or form.get("SmsSid")
        if not sid or not form.get("From"):
            raise BadPayload("not a Twilio message webhook")
        return [InboundMessage(platform=self.platform, dedupe_key=sid, address=form["From"],
                               text=form.get("Body", ""), received_at=request.received_at,
                               reply_context={"to": form["From"], "from": form.get("To"),
                                              "message_sid": sid})]

    def webhook_response(self, inbound: InboundMessage | None,
                         reply: str | Mapping[str, Any] | None) -> Handshake:
        if inbound is None or not reply:
            return Handshake(status=200, body=NO_REPLY, media_type="text/xml")
        body = ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
                f"{twiml_escape(str(reply))}</Message></Response>")
        return Handshake(status=200, body=body.encode(), media_type="text/xml")

    def show_address(self, address: str) -> str:
        number = address.removeprefix("whatsapp:")
        return f"{number} (WhatsApp)" if number != address else number

    def may_write_first(self, *, last_seen_at: datetime | None, now: datetime) -> bool:
        return False  # a Twilio number answers; it never starts a conversation

    def build_send(self, context: Mapping[str, Any], text: str, *, now: datetime) -> OutboundRequest:
        token = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return OutboundRequest(
            method="POST", url=f"{self.api}/2010-04-01/Accounts/{self.account_sid}/Messages.json",
            headers={"Authorization": f"Basic {token}"},
            form={"To": str(context.get("to")), "From": str(context.get("from") or self.from_number),
                  "Body": text})
