"""The platform rules every channel answers for, and ``send`` against httpx.MockTransport."""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.channels.base import Channel, SendResult
from app.channels.generic import check_signature
from app.channels.registry import CHANNELS, build_channel
from tests.channels.conftest import SAMPLE_TS, SAMPLES, frozen

NOW = datetime.fromtimestamp(SAMPLE_TS, UTC)
SETTINGS = {
    "slack": {"signing_secret": "s", "bot_token": "xoxb-T"},
    "telegram": {"secret_token": "t", "bot_token": "123:ABC"},
    "whatsapp": {"app_secret": "a", "verify_token": "v", "access_token": "EAA",
                 "phone_number_id": "555"},
    "twilio": {"auth_token": "t", "account_sid": "AC1", "from_number": "+14155550100"},
    "email": {"provider": "mime", "token": "t"},
    "generic": {"signing_secret": "g", "callback_url": "https://crm.example.com/cb"},
    "console": {},
}


def build(platform: str, mode: str | None = None, **extra: object) -> Channel:
    settings = SETTINGS[platform] | extra | ({"mode": mode} if mode else {})
    return build_channel(platform, settings, now=frozen(SAMPLE_TS))


def test_every_platform_has_settings_here() -> None:
    assert set(SETTINGS) == set(CHANNELS)


# --- settings ----------------------------------------------------------------------------------


def test_the_secrets_are_the_ones_marked_in_each_settings_model() -> None:
    secrets = {platform: cls.Settings.secret_names() for platform, cls in CHANNELS.items()}
    assert secrets == {
        "slack": {"signing_secret", "bot_token"},
        "telegram": {"secret_token", "bot_token"},
        "whatsapp": {"app_secret", "verify_token", "access_token"},
        "twilio": {"auth_token"},
        "email": {"signing_key", "public_key", "basic_auth_password", "token", "smtp_password"},
        "generic": {"signing_secret"},
        "console": set(),
    }


def test_a_secret_never_shows_in_the_settings_repr() -> None:
    shown = repr(build("slack").settings)
    assert "xoxb-T" not in shown and "api_base_url" in shown


@pytest.mark.parametrize(("platform", "mode", "settings", "missing"), [
    ("slack", "send", {}, ["signing_secret", "bot_token"]),
    ("telegram", "return", {"secret_token": "t"}, []),
    ("telegram", "send", {"secret_token": "t"}, ["bot_token"]),
    ("whatsapp", "send", {"app_secret": "a", "verify_token": "v"},
     ["access_token", "phone_number_id"]),
    ("email", "send", {"provider": "mime"}, ["smtp_host", "from_address"]),
    ("email", "send", {}, ["provider", "smtp_host", "from_address"]),
    ("generic", "return", {"signing_secret": "g"}, []),
    ("generic", "send", {"signing_secret": "g"}, ["callback_url"]),
    ("console", "send", {}, []),
])
def test_what_each_mode_needs(platform: str, mode: str, settings: dict, missing: list) -> None:
    assert CHANNELS[platform].Settings.model_validate(settings).missing(mode) == missing


@pytest.mark.parametrize(("platform", "settings"), [
    ("slack", {"signing_secret": "s", "webhook": "x"}),  # unknown key
    ("telegram", {"allow_groups": "maybe"}),
    ("email", {"provider": "mime", "smtp_port": "many"}),
    ("generic", {"callback_url": "ftp://x"}),
])
def test_bad_settings_are_refused_by_the_model(platform: str, settings: dict) -> None:
    with pytest.raises(ValueError):
        CHANNELS[platform].Settings.model_validate(settings)


@pytest.mark.parametrize(("platform", "mode"), [("slack", "return"), ("whatsapp", "return"),
                                                ("email", "return"), ("generic", "pigeon")])
def test_a_mode_the_platform_cannot_work_in_is_refused(platform: str, mode: str) -> None:
    with pytest.raises(ValueError, match="mode must be one of"):
        build(platform, mode)


def test_the_stored_settings_shape_still_builds() -> None:
    """Rows written before the models: numbers as strings, flags as strings, a comma list."""
    telegram = build("telegram", allow_groups="true")
    assert telegram.allow_groups is True  # type: ignore[attr-defined]
    email = build("email", smtp_port="2525", owner_addresses="A@x.org; b@y.org",
                  smtp_tls="")
    assert (email.smtp_port, email.smtp_tls) == (2525, "none")  # type: ignore[attr-defined]
    assert email.owner_addresses == ["a@x.org", "b@y.org"]  # type: ignore[attr-defined]
    assert build("slack", bot_user_id=42).bot_user_id == "42"  # type: ignore[attr-defined]


# --- the rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("platform", "mode", "extra", "last_seen", "expected"), [
    ("slack", None, {}, None, True),
    ("email", None, {}, None, True),
    ("console", None, {}, None, True),
    ("twilio", None, {}, timedelta(minutes=1), False),
    ("telegram", "send", {}, None, True),
    ("telegram", "return", {}, timedelta(minutes=1), False),
    ("generic", "send", {}, None, True),
    ("generic", "return", {"callback_url": None}, timedelta(minutes=1), False),
    ("whatsapp", None, {}, timedelta(hours=23), True),
    ("whatsapp", None, {}, timedelta(hours=25), False),
    ("whatsapp", None, {}, None, False),
    ("whatsapp", None, {"template_name": "eid_notice"}, timedelta(days=9), True),
])
def test_who_may_write_first(platform: str, mode: str | None, extra: dict,
                             last_seen: timedelta | None, expected: bool) -> None:
    channel = build(platform, mode, **extra)
    last_seen_at = NOW - last_seen if last_seen is not None else None
    assert channel.may_write_first(last_seen_at=last_seen_at, now=NOW) is expected


def test_the_whatsapp_window_is_measured_from_the_given_now() -> None:
    channel = build("whatsapp")
    seen = NOW - timedelta(hours=23)
    assert channel.may_write_first(last_seen_at=seen, now=NOW)
    assert not channel.may_write_first(last_seen_at=seen, now=NOW + timedelta(hours=2))


@pytest.mark.parametrize(("platform", "address", "expected"), [
    ("slack", "UOMAR", {"channel": "UOMAR"}),
    ("telegram", "111222333", {"chat_id": 111222333}),
    ("telegram", "-1001234567890", {"chat_id": -1001234567890}),
    ("telegram", "@channel", {"chat_id": "@channel"}),
    ("whatsapp", "+9665", {"to": "+9665", "phone_number_id": "555"}),
    ("twilio", "+14155550123", {"to": "+14155550123"}),
    ("generic", "crm-42", {"to": "crm-42"}),
    ("email", "omar@example.org",
     {"to": "omar@example.org", "subject": "Urgent: Amina", "unsolicited": True}),
])
def test_context_for_an_address(platform: str, address: str, expected: dict) -> None:
    context = build(platform).context_for(address, subject="Urgent: Amina", unsolicited=True)
    assert context == expected


def test_the_last_conversation_is_continued_where_known() -> None:
    last = {"channel": "D024BE91L", "thread_ts": "1779868795.000200"}
    assert build("slack").context_for("U1", subject=None, unsolicited=True,
                                      reply_context=last) == last


def test_an_unsolicited_email_is_not_a_reply_even_to_a_known_thread() -> None:
    last = {"to": "amina@example.org", "message_id": "<m1@x>", "subject": "Hi"}
    email = build("email")
    notice = email.context_for("amina@example.org", subject="Eid hours", unsolicited=True,
                               reply_context=last)
    assert notice == last | {"unsolicited": True, "notice_subject": "Eid hours"}
    assert email.context_for("amina@example.org", subject=None, unsolicited=False,
                             reply_context=last) == last
    assert email.context_for("a@x.org", subject=None, unsolicited=False) == {"to": "a@x.org",
                                                                             "subject": ""}


@pytest.mark.parametrize(("platform", "address", "shown"), [
    ("slack", "U2147483697", "Slack user U2147483697"),
    ("telegram", "111222333", "Telegram chat 111222333"),
    ("whatsapp", "+16505551234", "+16505551234"),
    ("twilio", "+14155550123", "+14155550123"),
    ("twilio", "whatsapp:+14155550123", "+14155550123 (WhatsApp)"),
    ("email", "amina@example.org", "amina@example.org"),
    ("generic", "crm-42", "crm-42"),
])
def test_show_address(platform: str, address: str, shown: str) -> None:
    assert build(platform).show_address(address) == shown


@pytest.mark.parametrize("platform", sorted(CHANNELS))
def test_only_generic_in_return_mode_answers_with_the_decision(platform: str) -> None:
    for mode in CHANNELS[platform].modes:
        expected = platform == "generic" and mode == "return"
        assert build(platform, mode).answers_with_decision is expected


# --- send ---------------------------------------------------------------------------------------


async def send(channel: Channel, context: dict, handler, text: str = "hello",  # noqa: ANN001
               now: datetime = NOW) -> tuple[SendResult, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(record)) as http:
        return await channel.send(http, context, text, now=now, allow_private=True), seen


async def test_send_goes_on_the_wire_and_keeps_the_status() -> None:
    result, [request] = await send(build("slack"), {"channel": "D1"},
                                   lambda r: httpx.Response(200, json={"ok": True, "ts": "9"}))
    assert (result.ok, result.status_code, result.detail) == (True, 200, "9")
    assert str(request.url) == "https://slack.com/api/chat.postMessage"
    assert request.headers["authorization"] == "Bearer xoxb-T"
    assert json.loads(request.content) == {"channel": "D1", "text": "hello"}


async def test_the_platforms_answer_is_classified_not_raised() -> None:
    limited, _ = await send(build("telegram", "send"), {"chat_id": 7}, lambda r: httpx.Response(
        429, json={"ok": False, "error_code": 429, "parameters": {"retry_after": 12}}))
    assert (limited.ok, limited.permanent, limited.retry_after, limited.status_code) == \
        (False, False, 12.0, 429)
    refused, _ = await send(build("twilio"), {"to": "+1"}, lambda r: httpx.Response(400))
    assert (refused.ok, refused.permanent, refused.status_code) == (False, True, 400)


@pytest.mark.parametrize(("error", "detail"), [
    (httpx.ConnectError("refused"), "transport: ConnectError"),
    (httpx.ReadTimeout("slow"), "timeout: ReadTimeout"),
])
async def test_a_network_failure_is_worth_retrying(error: Exception, detail: str) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    result, _ = await send(build("whatsapp"), {"to": "+9665"}, fail)
    assert (result.ok, result.permanent, result.detail) == (False, False, detail)


async def test_a_request_that_cannot_be_made_fails_for_good_without_a_call() -> None:
    result, seen = await send(build("generic", "return", callback_url=None), {"to": "crm-1"},
                              lambda r: httpx.Response(200))
    assert (result.ok, result.permanent, seen) == (False, True, [])
    assert "callback_url" in result.detail


async def test_the_callback_is_signed_at_the_time_send_is_given() -> None:
    later = NOW + timedelta(hours=3)
    result, [request] = await send(build("generic", "send"), {"to": "crm-1"},
                                   lambda r: httpx.Response(204), now=later)
    assert result.ok
    signature = request.headers["x-ijaza-signature"]
    assert signature.startswith(f"t={int(later.timestamp())},")
    check_signature("g", signature, request.content, later)


async def test_whatsapp_picks_the_template_by_the_time_send_is_given() -> None:
    channel = build("whatsapp", template_name="eid_notice")
    context = {"to": "+9665", "received_at": NOW.isoformat()}
    ok = lambda r: httpx.Response(200, json={"messages": [{"id": "wamid.x"}]})  # noqa: E731
    _, [inside] = await send(channel, context, ok, now=NOW + timedelta(hours=23))
    _, [outside] = await send(channel, context, ok, now=NOW + timedelta(hours=25))
    assert json.loads(inside.content)["type"] == "text"
    assert json.loads(outside.content)["type"] == "template"


# --- the clock and the fixtures -------------------------------------------------------------------


CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"),
               ("time", "time"), ("clock", "now"), ("date", "today")}


def test_no_channel_module_reads_the_clock() -> None:
    """The docstrings may show ``time.time()`` to integrators; the code never calls it."""
    import app.channels as package

    for module in Path(package.__file__).parent.glob("*.py"):
        calls = {(node.func.value.id, node.func.attr)
                 for node in ast.walk(ast.parse(module.read_text(encoding="utf-8")))
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                 and isinstance(node.func.value, ast.Name)}
        assert not calls & CLOCK_READS, module.name
        assert "from app import clock" not in module.read_text(encoding="utf-8"), module.name


def test_the_samples_are_inside_the_checkout() -> None:
    tests = Path(__file__).resolve().parents[1]
    assert SAMPLES.resolve().is_relative_to(tests) and len(list(SAMPLES.glob("*.headers"))) >= 20
    outside = "sha" + "red/samples"  # spelled so that neither this file nor a grep for it matches
    for source in tests.rglob("*.py"):
        assert outside not in source.read_text(encoding="utf-8"), source
