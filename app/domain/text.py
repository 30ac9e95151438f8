"""Reading a client's message: normalisation (Arabic and Latin), script detection, urgent
keywords and opt-out words. Default word lists live in ``config/defaults/keywords.toml``.
"""

from __future__ import annotations

import os
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

_TASHKEEL = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_TATWEEL = "\u0640"
_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي",
    "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4", "٥": "5", "٦": "6", "٧": "7",
    "٨": "8", "٩": "9", "۰": "0", "۱": "1", "۲": "2", "۳": "3", "۴": "4", "۵": "5",
    "۶": "6", "۷": "7", "۸": "8", "۹": "9", "ک": "ك", "ی": "ي",
})
_SPACES = re.compile(r"\s+")
_ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff]")
_LATIN_LETTER = re.compile("[A-Za-z\u00c0-\u024f]")
# Arabic proclitics that may stand before a keyword (و ف ب ل ك, and the article ال) and the
# endings after it (feminine ة, folded to ه; the adverbial alef; plurals): «والعاجل»،
# «رسالة عاجلة»، «عاجلًا». English: plural and -ly only, so "urgently" matches "urgent" but
# "urgency" and "emergent" match nothing.
_AR_PREFIX = "(?:[وفبلك]{0,2}(?:ال)?)"
_AR_SUFFIX = "(?:ه|ا|ات|ون|ين)?"
_EN_SUFFIX = "(?:s|es|ly)?"
_PUNCTUATION = re.compile(r"[^\w\s]")


def config_dir() -> Path:
    """The ``config/`` directory: ``IJAZA_CONFIG_DIR`` when set, else the repository's."""
    override = os.environ.get("IJAZA_CONFIG_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "config"


@lru_cache(maxsize=256)  # one message is folded several times while it is decided
def normalize(text: str) -> str:
    """Fold a message for matching: NFKC, case-folded, Arabic diacritics (tashkeel, the
    superscript alef, Quranic marks) and tatweel removed, letter variants unified
    (أ إ آ ٱ → ا, ى → ي, ة → ه, ؤ → و, ئ → ي), Arabic-Indic digits → ASCII, whitespace
    collapsed to single spaces. Idempotent."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    text = _TASHKEEL.sub("", text).replace(_TATWEEL, "").translate(_FOLD)
    return _SPACES.sub(" ", text).strip()


def detect_language(text: str) -> str | None:
    """``"ar"`` when Arabic letters are the majority of letters, ``"en"`` when Latin ones
    are, ``None`` when there are no letters (emoji, digits)."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if arabic == 0 and latin == 0:
        return None
    return "ar" if arabic >= latin else "en"


@lru_cache(maxsize=1)
def _defaults() -> dict[str, tuple[str, ...]]:
    with open(config_dir() / "defaults" / "keywords.toml", "rb") as fh:
        data = tomllib.load(fh)
    return {"urgent": tuple(data["urgent"]["ar"] + data["urgent"]["en"]),
            "opt_out": tuple(data["opt_out"]["ar"] + data["opt_out"]["en"])}


def default_urgent_keywords() -> tuple[str, ...]:
    """The shipped urgent keywords, Arabic then English."""
    return _defaults()["urgent"]


def default_opt_out_words() -> tuple[str, ...]:
    """The shipped opt-out words, Arabic then English."""
    return _defaults()["opt_out"]


@lru_cache(maxsize=512)
def _pattern(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    parts = []
    for keyword in keywords:
        word = normalize(keyword)
        if not word:
            continue
        body = r"\s+".join(re.escape(piece) for piece in word.split(" "))
        if detect_language(word) == "ar":
            parts.append(f"(?<![\\w])({_AR_PREFIX}{body}{_AR_SUFFIX})(?![\\w])")
        else:
            parts.append(f"(?<![\\w])({body}{_EN_SUFFIX})(?![\\w])")
    return re.compile("|".join(parts)) if parts else None


def matches_any(text: str, keywords: Iterable[str]) -> str | None:
    """The first keyword found in ``text`` as a whole word or phrase (after normalising
    both), allowing Arabic prefixes (و، ف، ب، ل، ك، ال) and simple English suffixes; or None."""
    words = tuple(keywords)
    pattern = _pattern(words)
    if pattern is None:
        return None
    folded = normalize(text)
    # Every match contains its keyword's folded form verbatim; most messages contain none,
    # and a substring test is far cheaper than the pattern's prefix and suffix search.
    if not any(core in folded for core in _cores(words)):
        return None
    found = pattern.search(folded)
    if found is None:
        return None
    index = next(i for i, group in enumerate(found.groups()) if group is not None)
    return [w for w in words if normalize(w)][index]


@lru_cache(maxsize=512)
def _cores(keywords: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(core for core in (normalize(k) for k in keywords) if core)


@lru_cache(maxsize=256)  # asked twice per message: for the contact and for the decision
def is_opt_out(text: str) -> bool:
    """The whole message, normalised and without punctuation, is an opt-out word or phrase
    (STOP, UNSUBSCRIBE, إيقاف, إلغاء, …); a sentence that merely contains one is not."""
    return _bare(text) in _opt_out_set()


def _bare(text: str) -> str:
    return " ".join(_PUNCTUATION.sub(" ", normalize(text)).split())


@lru_cache(maxsize=1)
def _opt_out_set() -> frozenset[str]:
    return frozenset(_bare(word) for word in default_opt_out_words()) - {""}
