"""RFC 3834: which mail an automatic responder must not answer (pure table)."""

from __future__ import annotations

import pytest

from app.domain.email_rules import address_of, addresses_in, is_report, should_not_reply

OWNER = ["support@example.com", "Sales <sales@example.com>"]
CLIENT = "amina@example.org"
TO_OWNER = {"to": "Support <support@example.com>", "from": f"Amina <{CLIENT}>"}


@pytest.mark.parametrize(("extra", "sender", "reason"), [
    # a normal client message is answered
    ({}, CLIENT, None),
    ({}, f"<{CLIENT}>", None),
    # Auto-Submitted (RFC 3834 §5): anything but "no"
    ({"auto-submitted": "auto-replied"}, CLIENT, "auto_submitted"),
    ({"auto-submitted": "auto-generated"}, CLIENT, "auto_submitted"),
    ({"auto-submitted": "auto-notified; owner-email=x@example.org"}, CLIENT, "auto_submitted"),
    ({"auto-submitted": "No"}, CLIENT, None),
    ({"auto-submitted": "no ; comment"}, CLIENT, None),
    # other auto-responder markers
    ({"x-autoreply": "yes"}, CLIENT, "auto_submitted"),
    ({"x-autorespond": "1"}, CLIENT, "auto_submitted"),
    ({"x-auto-response-suppress": "All"}, CLIENT, "auto_submitted"),
    ({"x-auto-response-suppress": "DR, OOF"}, CLIENT, "auto_submitted"),
    ({"x-auto-response-suppress": "AutoReply"}, CLIENT, "auto_submitted"),
    ({"x-auto-response-suppress": "DR, RN, NRN"}, CLIENT, None),
    ({"precedence": "auto_reply"}, CLIENT, "auto_submitted"),
    # Precedence and mailing lists
    ({"precedence": "bulk"}, CLIENT, "bulk"),
    ({"precedence": "Junk"}, CLIENT, "bulk"),
    ({"precedence": "list"}, CLIENT, "list"),
    ({"precedence": "first-class"}, CLIENT, None),
    ({"list-id": "<news.example.org>"}, CLIENT, "list"),
    ({"list-unsubscribe": "<mailto:leave@example.org>"}, CLIENT, "list"),
    ({"list-post": "<mailto:team@example.org>"}, CLIENT, "list"),
    # bounces and robots: empty return path, MAILER-DAEMON, postmaster, no-reply
    ({}, "<>", "auto_submitted"),
    ({}, "", "auto_submitted"),
    ({}, "MAILER-DAEMON@mx.example.org", "auto_submitted"),
    ({}, "<postmaster@example.org>", "auto_submitted"),
    ({}, "no-reply@example.org", "auto_submitted"),
    ({}, "noreply+abc@example.org", "auto_submitted"),
    ({}, "do-not-reply@example.org", "auto_submitted"),
    ({}, "donotreply@example.org", "auto_submitted"),
    ({}, "bounces+123@example.org", "auto_submitted"),
    ({}, "reply@example.org", None),
    ({}, "noreen@example.org", None),
    ({"from": "No Reply <noreply@shop.example>"}, CLIENT, "auto_submitted"),
    # delivery reports (DSN) and read receipts (MDN)
    ({"content-type": "multipart/report; report-type=delivery-status; boundary=x"}, CLIENT,
     "auto_submitted"),
    ({"content-type": 'multipart/report; report-type="disposition-notification"'}, CLIENT,
     "auto_submitted"),
    ({"content-type": "multipart/mixed; boundary=x"}, CLIENT, None),
    # the owner's own mail and mail not addressed to the owner
    ({"from": "Support <support@example.com>"}, "support@example.com", "own_message"),
    ({"from": "SALES@example.com"}, CLIENT, "own_message"),
    ({"to": "someone-else@example.com"}, CLIENT, "not_addressed"),
    ({"to": "someone-else@example.com", "cc": "sales@example.com"}, CLIENT, None),
    ({"to": "undisclosed-recipients:;"}, CLIENT, "not_addressed"),
])
def test_should_not_reply(extra: dict[str, str], sender: str, reason: str | None) -> None:
    assert should_not_reply(TO_OWNER | extra, sender, [], OWNER) == reason


def test_the_first_matching_rule_wins() -> None:
    headers = TO_OWNER | {"auto-submitted": "auto-replied", "precedence": "bulk",
                          "list-id": "<x>"}
    assert should_not_reply(headers, CLIENT, [], OWNER) == "auto_submitted"
    assert should_not_reply(TO_OWNER | {"precedence": "bulk", "list-id": "<x>"}, CLIENT, [],
                            OWNER) == "bulk"


def test_not_addressed_is_only_checked_when_owner_addresses_are_known() -> None:
    headers = {"to": "someone-else@example.com"}
    assert should_not_reply(headers, CLIENT, [], []) is None
    assert should_not_reply(headers, CLIENT, [], OWNER) == "not_addressed"


def test_extra_recipients_count_as_to_or_cc() -> None:
    headers = {"to": "someone-else@example.com"}
    assert should_not_reply(headers, CLIENT, ["support@example.com"], OWNER) is None


def test_an_unknown_envelope_falls_back_to_the_return_path_header() -> None:
    assert should_not_reply(TO_OWNER, None, [], OWNER) is None
    assert should_not_reply(TO_OWNER | {"return-path": "<>"}, None, [], OWNER) == "auto_submitted"
    assert should_not_reply(TO_OWNER | {"return-path": f"<{CLIENT}>"}, None, [], OWNER) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("Amina <Amina@Example.org>", "amina@example.org"),
    ("<amina@example.org>", "amina@example.org"),
    ("amina@example.org", "amina@example.org"),
    ("<>", ""),
    ("", ""),
    (None, ""),
])
def test_address_of(value: str | None, expected: str) -> None:
    assert address_of(value) == expected


def test_addresses_in() -> None:
    assert addresses_in(["A <a@x.org>, b@y.org", "", "C <C@Z.org>"]) == ["a@x.org", "b@y.org",
                                                                          "c@z.org"]


@pytest.mark.parametrize(("content_type", "expected"), [
    ("multipart/report; report-type=delivery-status", True),
    ("Multipart/Report; Report-Type=disposition-notification", True),
    ("multipart/report", True),
    ("multipart/report; report-type=feedback-report", True),
    ("text/plain", False),
])
def test_is_report(content_type: str, expected: bool) -> None:
    assert is_report(content_type) is expected
