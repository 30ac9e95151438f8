"""Reading a client's message: normalisation, script detection, urgent and opt-out words."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import text

URGENT = text.default_urgent_keywords()


@pytest.mark.parametrize(("raw", "folded"), [
    ("عَاجِلٌ", "عاجل"),  # tashkeel
    ("هٰذا", "هذا"),  # superscript alef
    ("مـــهم", "مهم"),  # tatweel
    ("أإآٱ", "اااا"),  # alef variants
    ("ضرورى", "ضروري"),  # alef maqsura
    ("رسالة", "رساله"),  # taa marbuta
    ("مسؤول", "مسوول"),
    ("طارئ", "طاري"),
    ("٠١٢٣٤٥٦٧٨٩", "0123456789"),  # Arabic-Indic digits
    ("۱۲۳", "123"),  # Extended (Persian) digits
    ("ﻻ", "لا"),  # presentation form, through NFKC
    ("  URGENT\n\tNow ", "urgent now"),
    ("Straße", "strasse"),
    ("", ""),
])
def test_normalize(raw: str, folded: str) -> None:
    assert text.normalize(raw) == folded


_ARABIC_HEAVY = st.text(alphabet=st.one_of(
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),
    st.characters(min_codepoint=0xFB50, max_codepoint=0xFEFF),
    st.sampled_from(" \t\nAaß\u0130\u0390"),
), max_size=60)


@given(st.one_of(st.text(max_size=80), _ARABIC_HEAVY))
def test_normalize_is_idempotent(value: str) -> None:
    once = text.normalize(value)
    assert text.normalize(once) == once


@pytest.mark.parametrize(("message", "language"), [
    ("السلام عليكم، متى تعودون؟", "ar"),
    ("Hello, are you open during Eid?", "en"),
    ("Hi مرحبا كيف الحال", "ar"),  # mixed: Arabic letters dominate
    ("مرحبا, could you send the invoice please?", "en"),  # mixed: Latin dominates
    ("salam 3alaykum", "en"),  # Arabizi is written in Latin letters
    ("سلام پاکستان", "ar"),  # Arabic script, Urdu/Persian letters
    ("👍🙏", None),
    ("12345 !!", None),
    ("", None),
])
def test_detect_language(message: str, language: str | None) -> None:
    assert text.detect_language(message) == language


def test_default_keywords_cover_both_languages() -> None:
    for word in ("عاجل", "ضروري", "مستعجل", "طارئ", "urgent", "asap", "emergency",
                 "as soon as possible"):
        assert word in URGENT
    for word in ("stop", "unsubscribe", "إيقاف", "إلغاء", "توقف"):
        assert word in text.default_opt_out_words()


@pytest.mark.parametrize(("message", "keyword"), [
    ("عاجل", "عاجل"),
    ("العاجل", "عاجل"),  # article
    ("والعاجل جدا", "عاجل"),  # conjunction + article
    ("رسالة عاجلة من فضلكم", "عاجل"),  # feminine ending
    ("أرجو الرد عاجلًا", "عاجل"),  # adverbial alef with tanween
    ("الأمر ضرورى", "ضروري"),  # ى written for ي
    ("مُستَعجِل لو سمحت", "مستعجل"),  # diacritics
    ("حالة طارئة", "طارئ"),
    ("أحتاجه في أسرع وقت ممكن", "في أسرع وقت"),
    ("URGENT!!", "urgent"),
    ("please reply urgently", "urgent"),
    ("please, asap", "asap"),
    ("ASAP.", "asap"),
    ("this is an emergency", "emergency"),
    ("reply as soon as possible", "as soon as possible"),
    ("reply as  soon\nas possible", "as soon as possible"),  # any whitespace between words
])
def test_urgent_keywords_match(message: str, keyword: str) -> None:
    assert text.matches_any(message, URGENT) == keyword


@pytest.mark.parametrize("message", [
    "emergent issue",  # a different word
    "urgency-free request",  # "urgency" is not "urgent"
    "no rush at all",
    "hasapa",  # "asap" inside another word
    "عاجلت",  # not one of the endings we accept
    "أجل، سأنتظر",
    "",
])
def test_urgent_keywords_do_not_match(message: str) -> None:
    assert text.matches_any(message, URGENT) is None


def test_owner_keywords_replace_the_defaults() -> None:
    assert text.matches_any("the server is DOWN", ["server is down"]) == "server is down"
    assert text.matches_any("urgent", ["server is down"]) is None
    assert text.matches_any("موقعنا متوقف", ["توقف", "متوقف"]) == "متوقف"
    assert text.matches_any("anything", []) is None
    assert text.matches_any("anything", ["", "  "]) is None


def test_keywords_with_regex_characters_are_literal() -> None:
    assert text.matches_any("need it by 5pm (today)", ["(today)"]) == "(today)"
    assert text.matches_any("a+b", ["a+b"]) == "a+b"
    assert text.matches_any("aab", ["a+b"]) is None


@pytest.mark.parametrize(("message", "out"), [
    ("STOP", True),
    ("stop!", True),
    (" Stop. ", True),
    ("Unsubscribe", True),
    ("opt-out", True),
    ("Opt out", True),
    ("إيقاف", True),
    ("ايقاف", True),  # without hamza
    ("إلغاء", True),
    ("الغاء", True),
    ("إلغاء الاشتراك", True),
    ("توقف", True),
    ("Stop sending me invoices, I paid", False),
    ("please don't stop", False),
    ("أريد إلغاء الطلب", False),
    ("", False),
    ("!!!", False),
])
def test_opt_out(message: str, out: bool) -> None:
    assert text.is_opt_out(message) is out


@given(st.one_of(st.text(max_size=80), _ARABIC_HEAVY), st.sampled_from(["ar", "en"]))
def test_a_value_isolated_for_its_box_is_stored_as_it_was_typed(value: str, language: str) -> None:
    typed = text.without_isolates(value)  # a person does not type isolates
    assert text.without_isolates(text.isolate(typed, language)) == typed


def test_the_number_after_an_arabic_name_is_isolated_for_its_box() -> None:
    shown = text.isolate("عمر — +966 50 000 0000", "ar")
    assert shown == f"عمر — {text.LRI}+966 50 000 0000{text.PDI}"
