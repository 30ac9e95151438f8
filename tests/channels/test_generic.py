from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest

from app.channels.base import BadPayload, VerificationFailed
from app.channels.console import ConsoleChannel
from app.channels.generic import GenericChannel, check_signature, sign
from app.channels.registry import CHANNELS, build_channel
from app.domain.model import InboundMessage
from tests.channels.conftest import SAMPLE_TS, Sample, frozen

SECRET = "generic-test-secret"
SAMPLE_NOW = datetime.fromtimestamp(SAMPLE_TS, UTC)
BODY = json.dumps({"contact": {"address": "crm-42", "name": "Sara", "language": "ar"},
                   "text": "هل أنتم متاحون في العيد؟",
                   "received_at": "2026-05-27T10:59:50+03:00"}, ensure_ascii=False).encode()


def channel(now: float = SAMPLE_TS, **extra: object) -> GenericChannel:
    return GenericChannel({"signing_secret": SECRET} | extra, now=frozen(now))


def request(body: bytes = BODY, *, ts: int = SAMPLE_TS, secret: str = SECRET,
            key: str | None = "evt-1", header: str | None = None):  # noqa: ANN201
    headers = {"content-type": "application/json",
               "x-ijaza-signature": header if header is not None else sign(secret, body, ts)}
    if key is not None:
        headers["idempotency-key"] = key
    return Sample(body=body, headers=headers, comments=[]).request()


def test_the_documented_scheme() -> None:
    """The module docstring's format, computed independently."""
    mac = hmac.new(SECRET.encode(), f"{SAMPLE_TS}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, SAMPLE_TS) == f"t={SAMPLE_TS},v1={mac}"
    import app.channels.generic as module

    namespace: dict = {}
    start = module.__doc__.index("    import hashlib, hmac, time")
    snippet = module.__doc__[start:module.__doc__.index("\nThe dedupe key")]
    exec("\n".join(line.removeprefix("    ") for line in snippet.splitlines()), namespace)  # noqa: S102
    header = namespace["sign"](SECRET.encode(), BODY)
    assert namespace["verify"](SECRET.encode(), header, BODY)
    channel(now=datetime.now(UTC).timestamp()).verify(request(header=header))


def test_a_signed_request_verifies_and_parses() -> None:
    req = request()
    channel().verify(req)
    [item] = channel().parse(req)
    assert isinstance(item, InboundMessage)
    assert item.platform == "generic"
    assert item.dedupe_key == "evt-1"
    assert item.address == "crm-42" and item.name == "Sara" and item.language_hint == "ar"
    assert item.text == "هل أنتم متاحون في العيد؟"
    assert item.received_at == datetime(2026, 5, 27, 10, 59, 50,
                                        tzinfo=timezone(timedelta(hours=3)))
    assert item.reply_context == {"to": "crm-42", "idempotency_key": "evt-1"}


def test_forged_tampered_replayed_and_malformed_are_refused() -> None:
    with pytest.raises(VerificationFailed):
        channel().verify(request(secret="wrong"))
    tampered = bytearray(BODY)
    tampered[5] ^= 0x01
    with pytest.raises(VerificationFailed):
        channel().verify(request(header=sign(SECRET, BODY, SAMPLE_TS), body=bytes(tampered)))
    with pytest.raises(VerificationFailed):
        channel(now=SAMPLE_TS + 301).verify(request())
    with pytest.raises(VerificationFailed):
        channel(now=SAMPLE_TS - 301).verify(request())
    channel(now=SAMPLE_TS + 300).verify(request())
    for header in ("", "t=abc,v1=00", f"t={SAMPLE_TS}", "v1=00", "garbage"):
        with pytest.raises(VerificationFailed):
            channel().verify(request(header=header))
    with pytest.raises(VerificationFailed):
        GenericChannel({}, now=frozen(SAMPLE_TS)).verify(request())


def test_without_an_idempotency_key_the_body_hash_dedupes() -> None:
    [a] = channel().parse(request(key=None))
    [b] = channel().parse(request(key=None))
    assert a.dedupe_key == b.dedupe_key == "sha256:" + hashlib.sha256(BODY).hexdigest()


def test_a_bare_contact_string_and_defaults() -> None:
    body = json.dumps({"contact": "+966500000000", "text": "hi"}).encode()
    [item] = channel().parse(request(body))
    assert item.address == "+966500000000"
    assert item.received_at == datetime.fromtimestamp(SAMPLE_TS, UTC)


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b'{"text": "no contact"}', b'{"contact": {"address": " "}}',
    b'{"contact": "a", "received_at": "yesterday"}',
    b'{"contact": "a", "received_at": "2026-05-27T10:00:00"}',
    b'{"contact": "a", "text": 5}',
])
def test_bad_bodies(body: bytes) -> None:
    with pytest.raises(BadPayload):
        channel().parse(request(body))


def test_return_mode_gives_back_what_it_is_given() -> None:
    decision = {"status": "off", "reply": {"text": "Eid Mubarak"}, "suppressed": None}
    out = channel().webhook_response(None, decision)
    assert (out.status, json.loads(out.body)) == (200, decision)
    assert json.loads(channel().webhook_response(None, "Eid Mubarak").body) == {"reply": "Eid Mubarak"}
    assert json.loads(channel().webhook_response(None, None).body) == {"reply": None}


def test_the_callback_is_signed_the_same_way() -> None:
    cb = channel(callback_url="https://crm.example.com/ijaza", mode="send")
    out = cb.build_send({"to": "crm-42", "idempotency_key": "evt-1"}, "مرحبا", now=SAMPLE_NOW)
    assert (out.method, out.url) == ("POST", "https://crm.example.com/ijaza")
    assert json.loads(out.content) == {"to": "crm-42", "text": "مرحبا", "in_reply_to": "evt-1"}
    assert out.headers["X-Ijaza-Signature"] == sign(SECRET, out.content, SAMPLE_TS)
    check_signature(SECRET, out.headers["X-Ijaza-Signature"], out.content,
                    datetime.fromtimestamp(SAMPLE_TS, UTC))
    assert out.headers["Idempotency-Key"].startswith("ijaza-")


@pytest.mark.parametrize("settings", [{"mode": "carrier-pigeon"}, {"callback_url": "ftp://x"}])
def test_unusable_settings(settings: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        channel(**settings)


def test_no_callback_url_no_send() -> None:
    with pytest.raises(ValueError):
        channel().build_send({"to": "x"}, "t", now=SAMPLE_NOW)


@pytest.mark.parametrize(("status", "ok", "permanent"), [
    (200, True, False), (204, True, False), (400, False, True), (410, False, True),
    (429, False, False), (500, False, False), (503, False, False),
])
def test_classify_response(status: int, ok: bool, permanent: bool) -> None:
    result = channel().classify_response(status, {}, b"")
    assert (result.ok, result.permanent) == (ok, permanent)


# --- registry and console ---------------------------------------------------------------------

MINIMAL = {
    "slack": {"signing_secret": "s", "bot_token": "xoxb"},
    "telegram": {"secret_token": "t"},
    "whatsapp": {"app_secret": "a", "verify_token": "v"},
    "twilio": {"auth_token": "t"},
    "email": {"provider": "mime", "token": "t"},
    "generic": {"signing_secret": "s"},
    "console": {},
}


@pytest.mark.parametrize("platform", sorted(CHANNELS))
def test_the_registry_builds_every_platform(platform: str) -> None:
    built = build_channel(platform, MINIMAL[platform] | {"mode": "send"}, now=frozen(SAMPLE_TS))
    assert built.platform == platform
    assert built.mode == "send"
    assert isinstance(built.settings, built.Settings)


async def test_the_console_channel_refuses_webhooks_and_only_logs() -> None:
    console = build_channel("console", {}, now=frozen(SAMPLE_TS))
    assert isinstance(console, ConsoleChannel)
    with pytest.raises(VerificationFailed):
        console.verify(request())

    def no_http(request: httpx.Request) -> httpx.Response:
        raise AssertionError("the console channel sends nothing")

    async with httpx.AsyncClient(transport=httpx.MockTransport(no_http)) as http:
        result = await console.send(http, {"to": "crm-42"}, "hello", now=SAMPLE_NOW)
    assert result.ok and result.detail == "logged"
