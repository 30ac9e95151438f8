"""The Umm al-Qura calendar: an exact, thin layer over ``hijridate``.

Everything here is the *tabular* Umm al-Qura calendar, the one Saudi Arabia publishes in
advance. What a country actually observed (moon sighting) lives in ``occasions``; this module
never guesses.

Supported range: 1343-01-01 AH to 1500-12-30 AH, i.e. 1924-08-01 to 2077-11-16 (the range of
``hijridate``'s tables). Anything outside raises :class:`OutOfRange` (a ``ValueError``) whose
message states both ranges, so the API can answer 422 with it verbatim.

Gregorian *years* (``check_gregorian_year``): a year is supported only when every day of it is
inside the range, so the supported Gregorian years are 1925–2076. 1924 and 2077 are only
partly covered and are refused rather than answered with a half-empty calendar.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from hijridate import Gregorian, Hijri
from hijridate import ummalqura as _uq

HIJRI_MIN_YEAR = 1343
HIJRI_MAX_YEAR = 1500
GREGORIAN_MIN_DATE = date(*_uq.GREGORIAN_RANGE[0])  # 1924-08-01 == 1 Muharram 1343
GREGORIAN_MAX_DATE = date(*_uq.GREGORIAN_RANGE[1])  # 2077-11-16 == 30 Dhu al-Hijjah 1500
GREGORIAN_MIN_YEAR = GREGORIAN_MIN_DATE.year + 1  # first whole Gregorian year: 1925
GREGORIAN_MAX_YEAR = GREGORIAN_MAX_DATE.year - 1  # last whole Gregorian year: 2076

SUPPORTED_RANGE = (
    f"{HIJRI_MIN_YEAR}–{HIJRI_MAX_YEAR} AH ({GREGORIAN_MIN_DATE.isoformat()} to "
    f"{GREGORIAN_MAX_DATE.isoformat()}; whole Gregorian years "
    f"{GREGORIAN_MIN_YEAR}–{GREGORIAN_MAX_YEAR})"
)

# Months of the historical tables, as published, that are not 29 or 30 days long.
IRREGULAR_MONTHS = frozenset({(1343, 9), (1345, 5), (1345, 8), (1348, 11), (1348, 12),
                              (1349, 10), (1349, 11), (1364, 8)})

MONTH_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Muharram", "Safar", "Rabi' al-Awwal", "Rabi' al-Thani", "Jumada al-Ula",
           "Jumada al-Akhirah", "Rajab", "Sha'ban", "Ramadan", "Shawwal", "Dhu al-Qa'dah",
           "Dhu al-Hijjah"),
    "ar": ("محرم", "صفر", "ربيع الأول", "ربيع الآخر", "جمادى الأولى", "جمادى الآخرة", "رجب",
           "شعبان", "رمضان", "شوال", "ذو القعدة", "ذو الحجة"),
}


class OutOfRange(ValueError):
    """A date or year outside the Umm al-Qura tables; the message states the supported range."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is outside the supported range {SUPPORTED_RANGE}.")
        self.what = what


def check_hijri_year(year: int) -> None:
    """Raise :class:`OutOfRange` unless ``HIJRI_MIN_YEAR <= year <= HIJRI_MAX_YEAR``."""
    if not HIJRI_MIN_YEAR <= year <= HIJRI_MAX_YEAR:
        raise OutOfRange(f"Hijri year {year}")


def check_gregorian_year(year: int) -> None:
    """Raise :class:`OutOfRange` unless every day of Gregorian ``year`` is in range (1925–2076)."""
    if not GREGORIAN_MIN_YEAR <= year <= GREGORIAN_MAX_YEAR:
        raise OutOfRange(f"Gregorian year {year}")


def check_date(d: date) -> None:
    """Raise :class:`OutOfRange` unless ``GREGORIAN_MIN_DATE <= d <= GREGORIAN_MAX_DATE``."""
    if not GREGORIAN_MIN_DATE <= d <= GREGORIAN_MAX_DATE:
        raise OutOfRange(f"Date {d.isoformat()}")


def to_hijri(d: date) -> tuple[int, int, int]:
    """Gregorian date -> Umm al-Qura ``(year, month, day)``; :class:`OutOfRange` outside range."""
    check_date(d)
    return Gregorian(d.year, d.month, d.day).to_hijri().datetuple()


@lru_cache(maxsize=8192)
def to_gregorian(year: int, month: int, day: int) -> date:
    """Umm al-Qura ``(year, month, day)`` -> Gregorian date.

    Raises :class:`OutOfRange` for a year outside 1343–1500, ``ValueError`` for a month
    outside 1–12 or a day outside 1–month length.
    """
    check_hijri_year(year)
    g = Hijri(year, month, day).to_gregorian()  # validates month and day
    return date(g.year, g.month, g.day)


@lru_cache(maxsize=4096)
def month_length(year: int, month: int) -> int:
    """Days in Umm al-Qura ``month`` of ``year``: 29 or 30, except eight months of the
    historical tables (1343–1364 AH, see ``IRREGULAR_MONTHS``) published with 28 or 31 days.
    Errors as :func:`to_gregorian`."""
    check_hijri_year(year)
    return Hijri(year, month, 1).month_length()


def month_name(month: int, language: str = "en") -> str:
    """The Hijri month's name in ``language`` (``"ar"`` or ``"en"``; others fall back to en)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be in 1-12, got {month}")
    return MONTH_NAMES.get(language[:2], MONTH_NAMES["en"])[month - 1]


def isoformat(year: int, month: int, day: int) -> str:
    """A Hijri date as ``"YYYY-MM-DD"``."""
    return f"{year:04d}-{month:02d}-{day:02d}"
