"""What every reply must be, checked the same way by the corpus and the property tests."""

from __future__ import annotations

import re

from babel.dates import get_month_names

from app.domain import rendering, text

ISOLATED = re.compile("[\u2066\u2067\u2068][^\u2066-\u2069]*\u2069")
PHONE = re.compile(r"\+?\d(?:[ \-]?\d){6,}")
EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
URL = re.compile(r"https?://\S+|www\.\S+")
LATIN = re.compile("[A-Za-z]")
ARABIC = re.compile("[\u0621-\u064a]")
MONTHS = {lang: [m for m in get_month_names("wide", locale=lang).values()] for lang in ("ar", "en")}
HIJRI_MONTHS = ["محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة", "رجب",
                "شعبان", "رمضان", "شوال", "ذي القعدة", "ذي الحجة",
                "Muharram", "Safar", "Rabi' al-Awwal", "Rabi' al-Thani", "Jumada al-Awwal",
                "Jumada al-Thani", "Rajab", "Sha'ban", "Ramadan", "Shawwal", "Dhu al-Qi'dah",
                "Dhu al-Hijjah"]
CANNOT_REPLY = ("can't reply", "cannot reply", "لا يمكننا الرد", "لا أستطيع الرد")
PAIRS = {"(": ")", "[": "]", "«": "»", "\u2066": "\u2069", "\u2067": "\u2069", "\u2068": "\u2069"}


def dates_in(reply: str, language: str) -> list[str]:
    """Every Gregorian "day month" written in the reply."""
    months = "|".join(re.escape(m) for m in MONTHS[language])
    return re.findall(rf"\b(\d{{1,2}} (?:{months}))\b", reply)


def hijri_dates_in(reply: str) -> list[str]:
    months = "|".join(re.escape(m) for m in HIJRI_MONTHS)
    return re.findall(rf"\((\d{{1,2}} (?:{months}))\)", reply)


def balanced(reply: str) -> bool:
    stack: list[str] = []
    closers = {")", "]", "»", "\u2069"}
    for ch in reply:
        if ch in PAIRS:
            stack.append(PAIRS[ch])
        elif ch in closers and (not stack or stack.pop() != ch):
            return False
    return not stack


def doubled_word(reply: str) -> str | None:
    """A word said twice in a row («إجازة إجازة», "break break"), or None."""
    words = [w for w in re.split(r"[\s\u2066-\u2069]+", reply) if w]
    for a, b in zip(words, words[1:], strict=False):
        if a == b and re.search(r"\w", a) and not a.isdigit():
            return a
    return None


def check(reply: rendering.RenderedReply, *, channel: str, this_year: int,
          contact_name: str | None = None, own_words_only: bool = True,
          given: tuple[str, ...] = ()) -> None:
    """Assert the properties every default reply has (see the issue's "How it is checked")."""
    body, language = reply.text, reply.language
    if channel == "chat":
        assert len(body) <= rendering.CHAT_LIMIT, (len(body), body)
    if channel == "sms":
        assert text.sms_segments(body) <= rendering.SMS_SEGMENTS, body
    days = dates_in(body, language)
    assert len(days) == len(set(days)), f"a date written twice: {days}\n{body}"
    assert len(hijri_dates_in(body)) <= 1, body
    if own_words_only:
        assert doubled_word(body) is None, body
    else:  # given names may repeat themselves; the words around a title never do
        twice = doubled_word(body)
        assert twice is None or twice not in {"إجازة", "break", "hours", "ساعات"} or any(
            f"{twice} {twice}" in value for value in given), body
    assert balanced(body), body
    assert not re.search(r"\b14\d\d\b", body), body  # no Hijri year in running text
    assert str(this_year) not in body, body  # the current year goes without saying
    outside = ISOLATED.sub("", body)
    if language == "ar":
        for pattern in (PHONE, EMAIL, URL, LATIN):
            assert not pattern.search(outside), (pattern.pattern, body)
    else:
        assert not ARABIC.search(outside), body
    # (the punctuation a template leaves when a value is missing; given names may hold any)
    for leftover in ("None", "{{", "{%", "  ", " ,", " .", "()") if own_words_only else ():
        assert leftover not in body, (leftover, body)
    for ch in ("\u200b", "\u200f", "\u202e", "\ufeff"):
        assert ch not in body
