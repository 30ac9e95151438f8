"""Reading messages and writing replies."""

from __future__ import annotations

import dataclasses
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import rendering, text
from app.domain.rendering import (
    LANGUAGES,
    SITUATIONS,
    TONES,
    ReplyContext,
    TemplateInvalid,
    default_template,
    format_date_only,
    format_instant,
    render_reply,
    validate_template,
)

RIYADH = ZoneInfo("Asia/Riyadh")


@pytest.mark.parametrize(("raw", "folded"), [
    ("عَاجِلٌ", "عاجل"),
    ("ضرورى", "ضروري"),
    ("أإآٱ", "اااا"),
    ("مـــهم", "مهم"),
    ("رسالة", "رساله"),
    ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
    ("  URGENT\n\tNow ", "urgent now"),
])
def test_normalize(raw: str, folded: str) -> None:
    assert text.normalize(raw) == folded


@given(st.text(max_size=80))
def test_normalize_is_idempotent(value: str) -> None:
    once = text.normalize(value)
    assert text.normalize(once) == once


@pytest.mark.parametrize(("message", "language"), [
    ("السلام عليكم، متى تعودون؟", "ar"),
    ("Hello, are you open?", "en"),
    ("salam 3alaykum", "en"),
    ("Hi مرحبا كيف الحال", "ar"),
    ("👍🙏", None),
    ("12345", None),
])
def test_detect_language(message: str, language: str | None) -> None:
    assert text.detect_language(message) == language


@pytest.mark.parametrize(("message", "keyword"), [
    ("عاجل", "عاجل"),
    ("والعاجل جدا", "عاجل"),
    ("الأمر ضرورى", "ضروري"),
    ("مُستَعجِل لو سمحت", "مستعجل"),
    ("URGENT!!", "urgent"),
    ("please, asap", "asap"),
    ("this is an emergency", "emergency"),
    ("reply as soon as possible", "as soon as possible"),
    ("emergent issue", None),
    ("urgency-free request", None),
    ("no rush at all", None),
])
def test_urgent_keywords(message: str, keyword: str | None) -> None:
    assert text.matches_any(message, text.default_urgent_keywords()) == keyword


def test_owner_keywords_replace_the_defaults() -> None:
    assert text.matches_any("the server is down", ["server is down"]) == "server is down"
    assert text.matches_any("urgent", ["server is down"]) is None


@pytest.mark.parametrize(("message", "out"), [
    ("STOP", True), ("stop!", True), ("إيقاف", True), ("إلغاء", True),
    ("Stop sending me invoices, I paid", False), ("please don't stop", False),
])
def test_opt_out(message: str, out: bool) -> None:
    assert text.is_opt_out(message) is out


def test_dates_in_both_calendars() -> None:
    assert format_date_only(date(2027, 3, 10), "ar") == "الأربعاء 10 مارس 2027 (2 شوال 1448)"
    assert format_date_only(date(2027, 3, 10), "en") == "Wednesday 10 March 2027 (2 Shawwal 1448)"
    at = datetime(2027, 3, 10, 9, tzinfo=RIYADH)
    assert format_instant(at, "en", RIYADH) == (
        "Wednesday 10 March 2027 (2 Shawwal 1448), 9:00 AM Saudi Arabia Time")
    assert format_instant(at, "ar", RIYADH) == (
        "الأربعاء 10 مارس 2027 (2 شوال 1448)، 9:00 ص توقيت المملكة العربية السعودية")
    ny = ZoneInfo("America/New_York")
    assert format_instant(at, "en", ny).endswith("1:00 AM United States (New York) Time")
    cairo = ZoneInfo("Africa/Cairo")
    assert "8:00 AM Egypt Time" in format_instant(at, "en", cairo)


def ctx(**kw) -> ReplyContext:  # noqa: ANN003
    base = ReplyContext(
        language="ar", tone="formal", owner_name="استوديو نخلة", timezone=RIYADH,
        contact_name="أمينة", occasion="eid_al_fitr",
        occasion_title={"ar": "عيد الفطر 1448", "en": "Eid al-Fitr 1448"},
        period_start=datetime(2027, 3, 8, tzinfo=RIYADH), period_end=datetime(2027, 3, 13, tzinfo=RIYADH),
        back_at=datetime(2027, 3, 14, 9, tzinfo=RIYADH), reply_by=datetime(2027, 3, 14, 13, tzinfo=RIYADH),
        urgent_contact="عمر +966500000000", tentative=True,
        earliest_end=datetime(2027, 3, 13, tzinfo=RIYADH), latest_end=datetime(2027, 3, 14, tzinfo=RIYADH),
        old_back_at=datetime(2027, 3, 13, 9, tzinfo=RIYADH))
    return dataclasses.replace(base, **kw)


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("tone", TONES)
def test_every_default_says_the_key_facts(situation: str, language: str, tone: str) -> None:
    c = ctx(language=language, tone=tone)
    reply = render_reply(situation, c)
    reply_by = format_instant(c.reply_by, language, RIYADH)
    assert reply_by in reply.text
    assert "أمينة" in reply.text
    assert "استوديو نخلة" in reply.text
    assert reply.subject
    if situation in ("off", "urgent", "outside_hours", "correction"):
        assert format_instant(c.back_at, language, RIYADH) in reply.text or situation == "urgent"
    if situation in ("off", "advance_notice", "reduced", "urgent"):
        assert ("متوقع" if language == "ar" else "expected") in reply.text
    if situation in ("off", "urgent", "advance_notice", "outside_hours", "reduced"):
        assert "+966500000000" in reply.text
    if situation == "correction":
        assert format_instant(c.old_back_at, language, RIYADH) in reply.text
    greeting = rendering.eid_greeting("eid_al_fitr", language, tone)
    if situation in ("off", "reduced", "urgent"):
        assert reply.text.startswith(greeting)
    # without a name, an urgent contact or uncertainty the text still reads whole
    bare = render_reply(situation, ctx(language=language, tone=tone, contact_name=None,
                                       urgent_contact=None, tentative=False, occasion=None,
                                       occasion_title=None))
    assert "None" not in bare.text and "{{" not in bare.text
    assert ("متوقع" if language == "ar" else "expected") not in bare.text
    assert not bare.text.startswith(greeting)


def test_no_greeting_outside_eid() -> None:
    reply = render_reply("off", ctx(occasion="national", occasion_title={"ar": "اليوم الوطني", "en": "National Day"}))
    assert "عيد" not in reply.text.splitlines()[0]


@pytest.mark.parametrize("hostile", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{{ 'x' * 10**9 }}",
    "{{ 9**9**9 }}",
    "{{ contact_name.__class__ }}",
    "{{ nothing_like_this }}",
    "{% if %}",
    "{% include 'x' %}",
    "",
])
def test_hostile_or_broken_templates_are_refused_quickly(hostile: str) -> None:
    started = time.perf_counter()
    with pytest.raises(TemplateInvalid):
        validate_template(hostile)
    assert time.perf_counter() - started < 2


def test_a_valid_custom_template_renders() -> None:
    source = "{{ contact_name or 'عميلنا' }}، نعود {{ back_at }}{% if urgent_contact %} — {{ urgent_contact }}{% endif %}"
    validate_template(source)
    out = render_reply("off", ctx(), source=source)
    assert out.text.startswith("أمينة، نعود الأحد 14 مارس 2027")


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60), st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2070, 1, 1)),
       st.sampled_from(LANGUAGES), st.sampled_from(TONES), st.sampled_from(SITUATIONS))
def test_render_never_raises(name: str, when: datetime, language: str, tone: str, situation: str) -> None:
    at = when.replace(tzinfo=RIYADH)
    out = render_reply(situation, ctx(contact_name=name, back_at=at, reply_by=at, language=language, tone=tone))
    assert out.text and len(out.text) <= rendering.MAX_OUTPUT


def test_defaults_cover_every_situation() -> None:
    for s in SITUATIONS:
        for lang in LANGUAGES:
            for tone in TONES:
                assert default_template(s, lang, tone)
