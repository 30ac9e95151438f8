from __future__ import annotations

import base64
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from app.channels.base import BadPayload, Ignored, RawRequest, VerificationFailed
from app.channels.twilio import TwilioChannel, signature
from app.domain.model import InboundMessage
from tests.channels.conftest import SAMPLE_TS, all_sample_names, frozen, sample

AUTH_TOKEN = "test_twilio_auth_token"
SETTINGS = {"auth_token": AUTH_TOKEN, "account_sid": "AC0123456789abcdef0123456789abcdef",
            "from_number": "+14155550100"}

# twilio-python tests/unit/test_request_validator.py (PROTOCOLS.md §4.1)
VECTOR_TOKEN = "12345"
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = [("CallSid", "CA1234567890ABCDE"), ("Digits", "1234"), ("From", "+14158675309"),
                 ("To", "+18005551212"), ("Caller", "+14158675309")]
VECTOR_BODY = b'{"property": "value", "boolean": true}'
VECTOR_BODY_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"


def channel(**extra: object) -> TwilioChannel:
    return TwilioChannel(SETTINGS | extra, now=frozen(SAMPLE_TS))


def signed_url() -> str:
    return sample("twilio_sms").comment_value("signed URL:")


def vector_request(url: str, sig: str, *, body: bytes | None = None,
                   content_type: str = "application/x-www-form-urlencoded") -> RawRequest:
    return RawRequest(method="POST", url=url, query={},
                      headers={"content-type": content_type, "x-twilio-signature": sig},
                      body=urlencode(VECTOR_PARAMS).encode() if body is None else body,
                      received_at=datetime(2026, 5, 27, tzinfo=UTC))


def test_every_twilio_sample_is_covered() -> None:
    names = {n for n in all_sample_names() if n.startswith("twilio_")}
    assert names == {"twilio_sms", "twilio_twiml_reply", "twilio_twiml_noreply"}


def test_twilio_python_compute_signature_vectors() -> None:
    assert signature(VECTOR_TOKEN, VECTOR_URL, VECTOR_PARAMS) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    duplicates = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"), ("Digits", "1234")]
    assert signature(VECTOR_TOKEN, VECTOR_URL, duplicates) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


@pytest.mark.parametrize(("url", "sig"), [
    (VECTOR_URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    (VECTOR_URL.replace(".com", ".com:1234"), "RSOYDt4T1cUTdK1PDd93/VVr8B8="),  # port removed
    (VECTOR_URL.replace(".com", ".com:1234").replace("https", "http"), "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
    (VECTOR_URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),  # :443 added
    (VECTOR_URL.replace("https", "http"), "0ZXoZLH/DfblKGATFgpif+LLRf4="),  # :80 added
])
def test_twilio_python_validation_vectors(url: str, sig: str) -> None:
    TwilioChannel({"auth_token": VECTOR_TOKEN}, now=frozen(SAMPLE_TS)).verify(vector_request(url, sig))


def test_twilio_python_json_body_vector() -> None:
    url = f"{VECTOR_URL}&bodySHA256={VECTOR_BODY_HASH}"
    request = vector_request(url, "a9nBmqA0ju/hNViExpshrM61xv4=", body=VECTOR_BODY,
                             content_type="application/json")
    TwilioChannel({"auth_token": VECTOR_TOKEN}, now=frozen(SAMPLE_TS)).verify(request)
    with pytest.raises(VerificationFailed):  # the body hash is checked too
        TwilioChannel({"auth_token": VECTOR_TOKEN}, now=frozen(SAMPLE_TS)).verify(vector_request(
            url, "a9nBmqA0ju/hNViExpshrM61xv4=", body=VECTOR_BODY + b" ",
            content_type="application/json"))


def test_the_sample_verifies_at_its_signed_url() -> None:
    s = sample("twilio_sms")
    assert signed_url() == "https://autoreply.example.com/webhooks/twilio/sms"
    channel().verify(s.request(url=signed_url()))
    channel().verify(s.request(url="https://autoreply.example.com:443/webhooks/twilio/sms"))


def test_forged_tampered_and_misdirected_requests_are_refused() -> None:
    s = sample("twilio_sms")
    with pytest.raises(VerificationFailed):
        TwilioChannel({"auth_token": "wrong"}, now=frozen(SAMPLE_TS)).verify(s.request(url=signed_url()))
    tampered = s.body.replace(b"Eid", b"Xid")
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(url=signed_url(), body=tampered))
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(url=signed_url() + "?x=1"))
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(url="https://evil.example.com/webhooks/twilio/sms"))
    with pytest.raises(VerificationFailed):
        channel().verify(s.request(url=signed_url(), headers={"content-type": s.headers["content-type"]}))
    with pytest.raises(VerificationFailed):
        TwilioChannel({}, now=frozen(SAMPLE_TS)).verify(s.request(url=signed_url()))


def test_an_sms_is_parsed() -> None:
    s = sample("twilio_sms")
    [item] = channel().parse(s.request(url=signed_url()))
    assert isinstance(item, InboundMessage)
    assert item.platform == "twilio"
    assert item.dedupe_key == "SM0123456789abcdef0123456789abcdef"
    assert item.address == "+14155550123"
    assert item.text == "Are you open on Eid?"
    assert item.reply_context == {"to": "+14155550123", "from": "+14155550100",
                                  "message_sid": "SM0123456789abcdef0123456789abcdef"}


@pytest.mark.parametrize(("form", "reason"), [
    ({"MessageSid": "SM1", "MessageStatus": "delivered", "From": "+1", "To": "+2"},
     "status callback"),
    ({"SmsSid": "SM1", "SmsStatus": "sent", "From": "+1"}, "status callback"),
    ({"MessageSid": "SM1", "From": "+1"}, "no Body"),
])
def test_status_callbacks_and_bodiless_requests_are_ignored(form: dict[str, str], reason: str) -> None:
    request = sample("twilio_sms").request(body=urlencode(form).encode())
    assert channel().parse(request) == [Ignored(reason)]


def test_a_body_without_sender_is_a_bad_payload() -> None:
    with pytest.raises(BadPayload):
        channel().parse(sample("twilio_sms").request(body=b"Body=hi"))


def test_twiml_equals_the_samples_byte_for_byte() -> None:
    [item] = channel().parse(sample("twilio_sms").request(url=signed_url()))
    reply = channel().webhook_response(item, "Eid Mubarak! We are closed until 2 June.")
    assert reply.body == sample("twilio_twiml_reply").body
    assert reply.media_type == sample("twilio_twiml_reply").headers["content-type"]
    for out in (channel().webhook_response(item, None), channel().webhook_response(None, None)):
        assert out.body == sample("twilio_twiml_noreply").body and out.status == 200


def test_twiml_escapes_the_text() -> None:
    [item] = channel().parse(sample("twilio_sms").request(url=signed_url()))
    body = channel().webhook_response(item, "R&D <closed> \x07until 2 June — عيد مبارك").body
    assert body == ('<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
                    "R&amp;D &lt;closed&gt; until 2 June — عيد مبارك</Message></Response>").encode()
    from xml.etree import ElementTree

    assert ElementTree.fromstring(body).find("Message").text.startswith("R&D <closed>")


def test_send_mode_uses_the_messages_api() -> None:
    request = channel().build_send({"to": "+14155550123", "from": "+14155550100"}, "hi",
                                  now=datetime.fromtimestamp(SAMPLE_TS, UTC))
    assert request.url == ("https://api.twilio.com/2010-04-01/Accounts/"
                           "AC0123456789abcdef0123456789abcdef/Messages.json")
    assert request.form == {"To": "+14155550123", "From": "+14155550100", "Body": "hi"}
    user_pass = base64.b64decode(request.headers["Authorization"].removeprefix("Basic "))
    assert user_pass == f"{SETTINGS['account_sid']}:{AUTH_TOKEN}".encode()


@pytest.mark.parametrize(("status", "ok", "permanent"), [
    (201, True, False), (400, False, True), (401, False, True), (429, False, False),
    (500, False, False),
])
def test_classify_response(status: int, ok: bool, permanent: bool) -> None:
    result = channel().classify_response(status, {}, b"{}")
    assert (result.ok, result.permanent) == (ok, permanent)


def test_a_get_webhook_is_signed_over_the_url_and_read_from_the_query() -> None:
    from urllib.parse import parse_qsl as parse

    query = sample("twilio_sms").body.decode()
    url = f"{signed_url()}?{query}"
    request = RawRequest(method="GET", url=url, query=dict(parse(query, keep_blank_values=True)),
                         headers={"x-twilio-signature": signature(AUTH_TOKEN, url, [])}, body=b"",
                         received_at=sample("twilio_sms").request().received_at)
    channel().verify(request)
    [item] = channel().parse(request)
    assert isinstance(item, InboundMessage) and item.text == "Are you open on Eid?"
