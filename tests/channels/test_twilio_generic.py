from __future__ import annotations

import json

import pytest

from app.channels.base import Inbound, VerificationFailed
from app.channels.generic import GenericChannel, sign
from app.channels.twilio import TwilioChannel, signature
from tests.channels.conftest import frozen, sample

SIGNED_URL = "https://autoreply.example.com/webhooks/twilio/sms"


def test_twilio_python_test_vectors() -> None:
    params = [("CallSid", "CA1234567890ABCDE"), ("Caller", "+14158675309"), ("Digits", "1234"),
              ("From", "+14158675309"), ("To", "+18005551212")]
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert signature("12345", url, params) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


def test_twilio_sample_verifies_and_parses() -> None:
    s = sample("twilio_sms")
    assert any(SIGNED_URL in c for c in s.comments)
    channel = TwilioChannel({"auth_token": "test_twilio_auth_token"})
    channel.verify(s.request(url=SIGNED_URL))
    channel.verify(s.request(url="https://autoreply.example.com:443/webhooks/twilio/sms"))
    [item] = channel.parse(s.request(url=SIGNED_URL))
    assert isinstance(item, Inbound)
    assert item.address == "+14155550123" and item.text == "Are you open on Eid?"
    assert item.dedupe_key == "SM0123456789abcdef0123456789abcdef"


def test_twilio_rejects_tampering_and_wrong_url() -> None:
    s = sample("twilio_sms")
    channel = TwilioChannel({"auth_token": "test_twilio_auth_token"})
    with pytest.raises(VerificationFailed):
        channel.verify(s.request(url=SIGNED_URL, body=s.body.replace(b"Eid", b"Xid")))
    with pytest.raises(VerificationFailed):
        channel.verify(s.request(url="https://evil.example.com/webhooks/twilio/sms"))


def test_twiml_matches_the_samples_byte_for_byte() -> None:
    channel = TwilioChannel({"auth_token": "t"})
    [item] = channel.parse(sample("twilio_sms").request(url=SIGNED_URL))
    reply = channel.webhook_response(item, "Eid Mubarak! We are closed until 2 June.")
    assert reply.body == sample("twilio_twiml_reply").body
    assert channel.webhook_response(item, None).body == sample("twilio_twiml_noreply").body
    escaped = channel.webhook_response(item, "<b> & 'x'")
    assert b"&lt;b&gt; &amp; 'x'" in escaped.body


def test_generic_signature_round_trip_and_window() -> None:
    body = json.dumps({"contact": {"address": "crm-42", "name": "Sara"}, "text": "hi"}).encode()
    ts = 1779868800
    channel = GenericChannel({"signing_secret": "s3cret"}, now=frozen(ts))
    headers = {"x-ijaza-signature": sign("s3cret", body, ts), "idempotency-key": "k1"}
    from tests.channels.conftest import Sample

    request = Sample(body=body, headers=headers, comments=[]).request()
    channel.verify(request)
    [item] = channel.parse(request)
    assert isinstance(item, Inbound) and item.dedupe_key == "k1" and item.name == "Sara"
    with pytest.raises(VerificationFailed):
        GenericChannel({"signing_secret": "s3cret"}, now=frozen(ts + 301)).verify(request)
    with pytest.raises(VerificationFailed):
        channel.verify(Sample(body=body + b" ", headers=headers, comments=[]).request())
    with pytest.raises(VerificationFailed):
        channel.verify(Sample(body=body, headers={}, comments=[]).request())


def test_generic_callback_is_signed() -> None:
    ts = 1779868800
    channel = GenericChannel({"signing_secret": "s3cret", "callback_url": "http://127.0.0.1:9/cb"},
                             now=frozen(ts))
    req = channel.build_send({"to": "crm-42", "idempotency_key": "k1"}, "مرحبا")
    assert req.headers["X-Ijaza-Signature"] == sign("s3cret", req.content, ts)
    assert json.loads(req.content)["text"] == "مرحبا"
