"""Email from anyone: RFC 3834 gaps, forged owner addresses, backscatter through display
names, Mailgun token replay; and forwards to the delegate made inert."""

from __future__ import annotations

import json
import time

import pytest

from app.channels.base import without_bidi_overrides
from app.channels.generic import sign
from app.channels.registry import build_channel
from app.domain.email_rules import reads_as_a_name, should_not_reply
from tests.api.test_hooks import connect, counts, frozen_clock, on_leave, post  # noqa: F401
from tests.channels.conftest import sample

OWNER = ["support@example.com"]


@pytest.mark.parametrize("field", ["resent-to", "resent-cc"])
def test_resent_to_and_cc_count_as_addressed(field: str) -> None:
    headers = {"from": "amina@example.org", "to": "list@example.net", field: "support@example.com"}
    assert should_not_reply(headers, "amina@example.org", [], OWNER) is None
    assert should_not_reply(headers | {field: "x@example.net"}, "amina@example.org", [],
                            OWNER) == "not_addressed"


@pytest.mark.parametrize("sender", ["owner-arabic-l@lists.example.org",
                                    "arabic-l-request@lists.example.org",
                                    "arabic-l-owner@lists.example.org",
                                    "LISTSERV@lists.example.org", "majordomo@example.org",
                                    "Mailman@example.org", "arabic-l-bounces+amina@example.org"])
@pytest.mark.parametrize("where", ["envelope", "from"])
def test_system_senders_are_never_answered(sender: str, where: str) -> None:
    headers = {"from": sender if where == "from" else "amina@example.org",
               "to": "support@example.com"}
    envelope = sender if where == "envelope" else "amina@example.org"
    assert should_not_reply(headers, envelope, [], OWNER) == "auto_submitted"


@pytest.mark.parametrize("name", ["Amina", "أمينة الحربي", "Jean-Luc O'Brien", "مُحَمَّد"])
def test_names_that_read_as_names_greet(name: str) -> None:
    assert reads_as_a_name(name)


@pytest.mark.parametrize("name", ["Cheap watches at evil.example", "WIN $1000 NOW", "www.evil.com",
                                  "bob@evil.com", "<a href=x>Bank</a>", "Call 0800 123 456",
                                  "a" * 41, "one two three four five", "Ali\u202emoc.live",
                                  "*bold* _x_", "\u0000nul"])
def test_names_that_do_not_are_dropped(name: str) -> None:
    assert not reads_as_a_name(name)


MAIL = (b"Return-Path: <{sender}>\r\nFrom: {display} <{sender}>\r\n"
        b"To: Support <support@example.com>\r\nSubject: Eid\r\nMessage-ID: <{mid}@example.org>\r\n"
        b"Date: Wed, 27 May 2026 07:59:50 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Are you open?\r\n")


def _mail(sender: str, display: str, mid: str) -> bytes:
    return (MAIL.replace(b"{sender}", sender.encode()).replace(b"{display}", display.encode())
            .replace(b"{mid}", mid.encode()))


def _mime(client, admin, owner):  # noqa: ANN001, ANN202
    return connect(client, admin, owner, "email", {
        "provider": "mime", "token": "pipe", "owner_addresses": OWNER,
        "smtp_host": "127.0.0.1", "smtp_port": 9, "from_address": "support@example.com"})


def _pipe(client, channel, body: bytes):  # noqa: ANN001, ANN202
    return client.post(f"/hooks/{channel['id']}", content=body,
                       headers={"content-type": "message/rfc822", "authorization": "Bearer pipe"})


def test_a_forged_owner_address_does_not_silence_the_owner(client, admin, owner, on_leave,  # noqa: F811
                                                           frozen_clock) -> None:  # noqa: F811
    channel = _mime(client, admin, owner)
    assert _pipe(client, channel, _mail("support@example.com", "Support", "forged")).status_code == 200
    assert _pipe(client, channel, _mail("amina@example.org", "Amina", "real")).status_code == 200
    events, deliveries = counts(client, admin, owner)
    by_id = {e["id"]: e for e in events}
    assert sorted(str(e["suppressed"]) for e in by_id.values()) == ["None", "own_message"]
    assert len(deliveries) == 1  # the real client is answered: no 10-minute pause was set


def test_a_spoofed_advertisement_name_is_not_mailed_out(client, admin, owner, on_leave,  # noqa: F811
                                                        frozen_clock) -> None:  # noqa: F811
    channel = _mime(client, admin, owner)
    advert = "Cheap pills at evil.example"
    assert _pipe(client, channel, _mail("victim@example.org", advert, "ad")).status_code == 200
    _events, [delivery] = counts(client, admin, owner)
    detail = client.get(f"/v1/owners/{owner['id']}/deliveries/{delivery['id']}", headers=admin).json()
    assert "evil" not in json.dumps(detail)


def test_a_mailgun_token_reused_with_another_message_is_refused(client, admin, owner, on_leave,  # noqa: F811
                                                                frozen_clock) -> None:  # noqa: F811
    channel = connect(client, admin, owner, "email", {
        "provider": "mailgun", "signing_key": "test-mailgun-webhook-signing-key",
        "owner_addresses": ["support@mg.example.com"], "smtp_host": "127.0.0.1", "smtp_port": 9,
        "from_address": "support@mg.example.com"})
    original = sample("mailgun_route")
    assert post(client, channel, original).status_code == 200
    assert post(client, channel, original).status_code == 200  # Mailgun's own retry: fine
    forged = original.body.replace(b"open+during+Eid", b"open+during+Xmas")
    assert forged != original.body
    assert post(client, channel, original, body=forged).status_code == 401
    events, _ = counts(client, admin, owner)
    assert len(events) == 1


INJECTION = "<!channel> <!here> <@U024BE7LH> <#C123> <http://evil.example|bank.com> \u202egnp.exe"


def test_slack_forwards_are_escaped_as_slack_documents() -> None:
    slack = build_channel("slack", {"signing_secret": "s", "bot_token": "x"}, now=time.time)
    out = slack.inert(INJECTION + " & co")
    assert "<" not in out and ">" not in out and "\u202e" not in out
    assert out.startswith("&lt;!channel&gt; &lt;!here&gt; &lt;@U024BE7LH&gt;")
    assert "&amp; co" in out


@pytest.mark.parametrize("platform", ["telegram", "whatsapp", "email", "twilio", "generic"])
def test_other_forwards_lose_bidi_overrides(platform: str) -> None:
    assert without_bidi_overrides("a\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069b") == "ab"
    channel = build_channel(platform, {}, now=time.time) if platform != "email" else \
        build_channel("email", {"provider": "mime"}, now=time.time)
    assert "\u202e" not in channel.inert(INJECTION)


def test_an_urgent_message_reaches_the_delegates_slack_inert(client, admin, owner, on_leave) -> None:  # noqa: F811
    delegate = connect(client, admin, owner, "slack", {
        "signing_secret": "delegate-signing", "bot_token": "xoxb-D", "api_base_url": "http://127.0.0.1:9"})
    generic = connect(client, admin, owner, "generic", {"signing_secret": "generic-secret"})
    assert client.patch(f"/v1/owners/{owner['id']}", headers=admin, json={
        "delegate": {"name": "Omar", "channel_id": delegate["id"], "address": "U0DELEGATE"},
    }).status_code == 200
    body = json.dumps({"contact": {"address": "crm-9", "name": "Sara"},
                       "text": f"URGENT please {INJECTION}",
                       "received_at": "2026-05-27T11:00:00+03:00"}).encode()
    response = client.post(f"/hooks/{generic['id']}", content=body, headers={
        "content-type": "application/json", "x-ijaza-signature": sign("generic-secret", body, int(time.time()))})
    assert response.status_code == 200, response.text
    _events, deliveries = counts(client, admin, owner)
    forwards = [d for d in deliveries if d.get("kind") == "forward"]
    assert forwards, deliveries
    from app.outbox.models import Delivery

    with client.app.state.sessions() as session:
        row = session.get(Delivery, forwards[0]["id"])
        text = row.payload["text"]
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "\u202e" not in text
