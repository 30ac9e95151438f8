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


# --- text a reply is made of ------------------------------------------------------------------

# Characters that change how text around them is shown or that nobody sees: zero-width
# spaces and joiners, the bidi marks, embeddings, overrides and isolates, the Arabic letter
# mark, word joiners and invisible operators, the byte-order mark.
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u2069\ufeff]")
_CONTROLS = re.compile("[\u0000-\u001f\u007f-\u009f]")
_OPENERS = {"(": ")", "[": "]", "{": "}", "«": "»", "<": ">"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}

_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]|\{\s*\}|«\s*»|<\s*>")
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"
_ISOLATED = re.compile(f"[{LRI}{RLI}{FSI}][^{LRI}{RLI}{FSI}{PDI}]*{PDI}")
_ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc"
_LATIN = "A-Za-z\u00c0-\u024f"
_URL = r"(?:https?://|www\.)[^\s<>«»()]+[^\s<>«»().,;:!?،؛]"
_EMAIL = r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
_PHONE = r"\+?\d(?:[ \-]?\d){6,}"
_LATIN_RUN = f"[{_LATIN}](?:[{_LATIN}0-9'&.\\-]|[ ](?=[{_LATIN}0-9]))*"
_ARABIC_RUN = f"[{_ARABIC}](?:[{_ARABIC}]|[ ](?=[{_ARABIC}]))*"
_LTR_IN_ARABIC = re.compile(f"{_URL}|{_EMAIL}|{_PHONE}|{_LATIN_RUN}")
_ARABIC_IN_LATIN = re.compile(_ARABIC_RUN)


def clean_name(value: str | None, limit: int = 120) -> str:
    """A name or title given by someone else, safe to put in a reply: one line, no control,
    zero-width, bidi-override or isolate characters, no byte-order mark, no unmatched
    bracket, at most ``limit`` characters (clipped with "…")."""
    if not value:
        return ""
    value = _CONTROLS.sub(" ", _INVISIBLE.sub("", value))
    value = balance_brackets(" ".join(value.split()))
    value = " ".join(_EMPTY_BRACKETS.sub(" ", value).split())
    if len(value) > limit:
        value = balance_brackets(value[: limit - 1].rstrip()) + "…"
    return value


def balance_brackets(value: str) -> str:
    """``value`` without the brackets that have no partner: «Amina (Cairo» → «Amina Cairo»."""
    stack: list[int] = []
    drop: set[int] = set()
    for i, ch in enumerate(value):
        if ch in _OPENERS:
            stack.append(i)
        elif ch in _CLOSERS:
            if stack and value[stack[-1]] == _CLOSERS[ch]:
                stack.pop()
            else:
                drop.add(i)
    drop.update(stack)
    if not drop:
        return value
    return " ".join("".join(ch for i, ch in enumerate(value) if i not in drop).split())


def isolate(value: str, language: str) -> str:
    """``value`` with each run that reads in the other direction wrapped in a Unicode
    isolate, so a chat app lays it out on its own: in Arabic text, URLs, e-mail addresses,
    phone numbers and Latin words (LRI … PDI), so ``+20 100 123 4567`` is not shown as
    ``20 100 123 4567+``; in English text, Arabic words (FSI … PDI). Runs already isolated
    are left as they are. Idempotent."""
    pattern = _LTR_IN_ARABIC if language == "ar" else _ARABIC_IN_LATIN
    mark = LRI if language == "ar" else FSI
    out: list[str] = []
    last = 0
    for kept in _ISOLATED.finditer(value):
        out.append(pattern.sub(lambda m: f"{mark}{m[0]}{PDI}", value[last:kept.start()]))
        out.append(kept[0])
        last = kept.end()
    out.append(pattern.sub(lambda m: f"{mark}{m[0]}{PDI}", value[last:]))
    return "".join(out)


_ISOLATES = str.maketrans("", "", f"{LRI}{RLI}{FSI}{PDI}")


def without_isolates(value: str) -> str:
    """``value`` with the isolate characters ``isolate`` adds taken out again: what a form
    showed isolated (so that it read right in its box) is stored as the person typed it."""
    return value.translate(_ISOLATES)


def _word_key(word: str) -> str:
    folded = normalize(word).strip(".,;:!?،؛()«»\"'")
    return folded[2:] if folded.startswith("ال") and len(folded) > 3 else folded


def join_words(*parts: str) -> str:
    """The parts joined by spaces, with a word repeated across a boundary said once:
    ``join_words("إجازة", "إجازة عيد الأضحى")`` → «إجازة عيد الأضحى»,
    ``join_words("Ramadan hours", "hours")`` → "Ramadan hours"."""
    words: list[str] = []
    for part in parts:
        incoming = part.split()
        if words and incoming and _word_key(words[-1]) == _word_key(incoming[0]):
            incoming = incoming[1:]
        words.extend(incoming)
    return " ".join(words)


_SCRIPT_WORDS = re.compile(f"[{_ARABIC}]+|[^\\s{_ARABIC}]+")


def contains_word(value: str, words: Iterable[str]) -> bool:
    """Whether ``value`` has one of ``words`` (folded, with or without the article; a run of
    one script is a word, so «إجازةAmina» has «إجازة»)."""
    keys = {_word_key(w) for w in _SCRIPT_WORDS.findall(value)}
    return any(_word_key(w) in keys for w in words)


GSM_SEGMENT, GSM_PART = 160, 153
UCS2_SEGMENT, UCS2_PART = 70, 67
_GSM7 = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
                  "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM7_EXT = frozenset("^{}\\[~]|€")


def sms_segments(value: str) -> int:
    """How many SMS segments ``value`` takes: GSM-7 (160 a message, 153 a part; ``^{}[]~|€\\``
    count twice) when every character fits it, else UCS-2 (70, 67 a part; characters beyond
    the Basic Multilingual Plane count twice)."""
    if all(ch in _GSM7 or ch in _GSM7_EXT for ch in value):
        units, single, part = sum(2 if ch in _GSM7_EXT else 1 for ch in value), GSM_SEGMENT, GSM_PART
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in value)
        single, part = UCS2_SEGMENT, UCS2_PART
    if units <= single:
        return 1
    return -(-units // part)
