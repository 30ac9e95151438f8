"""When each Islamic occasion falls in a country, and the country's other public holidays.

Occasions and their own Hijri day: ``ramadan`` (1 Ramadan; ``end_date`` is its last day),
``eid_al_fitr`` (1 Shawwal), ``arafah`` (9 Dhu al-Hijjah), ``eid_al_adha`` (10 Dhu
al-Hijjah), ``islamic_new_year`` (1 Muharram), ``ashura`` (10 Muharram), ``mawlid`` (12
Rabi' al-Awwal). One occurrence is identified by ``(occasion, hijri_year)``.

Where a date comes from, strongest first (``DateSource``):

1. ``CONFIRMED`` — an operator's confirmation ``{(occasion, hijri_year): date}``; the date is
   final (``confirmed_by="operator"``).
2. ``OBSERVED`` — the date as the country observed it: first the country file's
   ``[observed]`` table (our own, with a source per year; it also corrects the few library
   entries that are holiday starts rather than the day itself), then the ``holidays``
   package's per-country confirmed (non-estimated) Islamic dates, read from the country's
   ``_islamic_calendar``. A library date further from Umm al-Qura than a month start can move
   (-1..+2 days for Ramadan and the Eids, ±1 for the others) is a holiday moved to another
   weekday, not the occasion's day, and is ignored.
3. ``PREDICTED`` — the crescent model and the country's practice (``prediction``): the most
   likely first day, with ``earliest``/``latest`` spanning the candidates that have a real
   chance. Every occasion also carries that prediction as ``predicted`` (candidates with
   probabilities, method), whatever the source of the date in force.

A library date that is still in the future (several governments publish next year's
holidays) is used as the prediction (``PREDICTED``, tentative, the country's risk range
around it) unless the country's authority fixes its calendar years ahead
(``published_is_final``: Turkey's Diyanet), where it is ``PUBLISHED`` and final (``OBSERVED``
once the day has passed).

Derived days: Arafah is always the day before Eid al-Adha and shares its source; Ashura is
New Year + 9 when New Year is known and Ashura itself is not; Ramadan lasts 29 or 30 days, so
when only one of 1 Ramadan / 1 Shawwal is known the other is kept within that distance
(a confirmed 1 Ramadan narrows the Eid al-Fitr prediction, an observed Eid fixes Ramadan's
start; the historical Umm al-Qura tables give Ramadan 1343 (1925) 28 days, so there the
predicted Eid is the 30th day). Ramadan's ``tentative``/``earliest``/``latest`` describe its
first day; its
``end_date`` is the day before Eid al-Fitr.

``tentative`` is true only for a date after ``today`` that is not final (confirmed,
observed-and-past, or published-final). A date before ``today`` is never tentative; a
non-tentative date has ``earliest == latest == date``. A predicted date equal to ``today``
stays tentative (nobody has confirmed it).

Holiday spans (``holiday_first_day``/``holiday_last_day``) come from the country file,
expressed in Hijri days of the country's own calendar (e.g. Saudi Arabia: from the day after
29 Ramadan, four days), resolved against the month starts fixed by the occasions above.

A Gregorian year's occasions (:func:`occasions_for_year`) are every occurrence whose day(s)
— or whose holiday span — touch that year, so a year may list two Eid al-Fitr (2033, 2065)
and an Eid holiday that began in December is listed again in January's year.

Errors: unknown country -> ``countries.UnknownCountry``; a year outside the Umm al-Qura
tables -> ``hijri.OutOfRange``; an unknown occasion -> ``ValueError``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

import holidays
from holidays.constants import HOLIDAY_NAME_DELIMITER

from app.domain import hijri, prediction
from app.domain.countries import ISLAMIC_OCCASIONS, CountryProfile, HolidaySpan, country
from app.domain.model import DateSource, Occasion, OccasionDate, Prediction

log = logging.getLogger(__name__)

OCCASION_HIJRI: Mapping[str, tuple[int, int]] = MappingProxyType({
    Occasion.RAMADAN: (9, 1),
    Occasion.EID_AL_FITR: (10, 1),
    Occasion.ARAFAH: (12, 9),
    Occasion.EID_AL_ADHA: (12, 10),
    Occasion.ISLAMIC_NEW_YEAR: (1, 1),
    Occasion.ASHURA: (1, 10),
    Occasion.MAWLID: (3, 12),
})

OCCASION_NAMES: Mapping[str, Mapping[str, str]] = MappingProxyType({
    Occasion.RAMADAN: {"ar": "رمضان", "en": "Ramadan"},
    Occasion.EID_AL_FITR: {"ar": "عيد الفطر", "en": "Eid al-Fitr"},
    Occasion.ARAFAH: {"ar": "يوم عرفة", "en": "Day of Arafah"},
    Occasion.EID_AL_ADHA: {"ar": "عيد الأضحى", "en": "Eid al-Adha"},
    Occasion.ISLAMIC_NEW_YEAR: {"ar": "رأس السنة الهجرية", "en": "Islamic New Year"},
    Occasion.ASHURA: {"ar": "عاشوراء", "en": "Ashura"},
    Occasion.MAWLID: {"ar": "المولد النبوي", "en": "Prophet's Birthday"},
})

CONFIRMED_BY = "operator"

# `holidays` method prefix (<name>_dates) for each occasion it tabulates.
_LIBRARY_NAME = {
    Occasion.RAMADAN: "ramadan_beginning",
    Occasion.EID_AL_FITR: "eid_al_fitr",
    Occasion.EID_AL_ADHA: "eid_al_adha",
    Occasion.ISLAMIC_NEW_YEAR: "hijri_new_year",
    Occasion.ASHURA: "ashura",
    Occasion.MAWLID: "mawlid",
}
# How far (days) an observed first day can sit from Umm al-Qura and still be that day.
_PLAUSIBLE = {Occasion.RAMADAN: (-1, 2), Occasion.EID_AL_FITR: (-1, 2),
              Occasion.EID_AL_ADHA: (-1, 2)}
_PLAUSIBLE_MINOR = (-1, 1)

Confirmations = Mapping[tuple[str, int], date]
_NO_CONFIRMATIONS: Confirmations = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class NationalHoliday:
    """One of the country's other public holidays (from the ``holidays`` package)."""

    date: date
    name: Mapping[str, str]
    tentative: bool


# --------------------------------------------------------------------------------------
# public API


def occurrence(country_code: str, occasion: str, hijri_year: int, *, today: date,
               confirmations: Confirmations = _NO_CONFIRMATIONS) -> OccasionDate:
    """``occasion`` of ``hijri_year`` in the country, as known on ``today``.

    Raises ``UnknownCountry``, ``hijri.OutOfRange`` (year outside 1343–1500) or
    ``ValueError`` (not one of the Islamic occasions).
    """
    if occasion not in OCCASION_HIJRI:
        raise ValueError(f"occasion must be one of {', '.join(ISLAMIC_OCCASIONS)}, "
                         f"got '{occasion}'")
    code = country(country_code).code
    hijri.check_hijri_year(hijri_year)
    return _year(code, hijri_year, today, confirmation_key(confirmations, hijri_year))[occasion]


def occurrences(country_code: str, hijri_year: int, *, today: date,
                confirmations: Confirmations = _NO_CONFIRMATIONS) -> dict[str, OccasionDate]:
    """Every occasion of ``hijri_year`` in the country, by occasion name (cached)."""
    code = country(country_code).code
    hijri.check_hijri_year(hijri_year)
    return dict(_year(code, hijri_year, today, confirmation_key(confirmations, hijri_year)))


def occasions_for_year(country_code: str, year: int, *, today: date,
                       confirmations: Confirmations = _NO_CONFIRMATIONS) -> list[OccasionDate]:
    """Every occurrence whose day(s) or holiday span touch Gregorian ``year``, by date.

    Raises ``UnknownCountry`` or ``hijri.OutOfRange`` (whole years 1925–2076 only).
    """
    code = country(country_code).code
    hijri.check_gregorian_year(year)
    first, last = date(year, 1, 1), date(year, 12, 31)
    found: list[OccasionDate] = []
    for hy in hijri_years_between(first, last):
        for item in _year(code, hy, today, confirmation_key(confirmations, hy)).values():
            lo, hi = span_of(item)
            if lo <= last and hi >= first:
                found.append(item)
    order: dict[str, int] = {name: i for i, name in enumerate(ISLAMIC_OCCASIONS)}
    return sorted(found, key=lambda o: (o.date, order[o.occasion]))


def national_holidays(country_code: str, year: int, *, today: date) -> list[NationalHoliday]:
    """The country's other public holidays in Gregorian ``year`` (not the Islamic occasions
    above, whose days and spans come from :func:`occasions_for_year`).

    Names are ``{ar, en}`` in the library's Arabic and English translations, falling back to
    the country's default language where the library has none. ``tentative`` is true for a
    future date the library marks as estimated. ``none`` has no holidays.
    """
    profile = country(country_code)
    hijri.check_gregorian_year(year)
    return [NationalHoliday(d, dict(name), tentative=estimated and d >= today)
            for d, name, estimated in _national_raw(profile.code, year)]


def confirmation_key(confirmations: Confirmations,
                     hijri_year: int) -> tuple[tuple[str, date], ...]:
    """The hashable part of ``confirmations`` that concerns ``hijri_year``."""
    if not confirmations:
        return ()
    return tuple(sorted((occ, d) for (occ, hy), d in confirmations.items() if hy == hijri_year))


def hijri_years_between(first: date, last: date) -> range:
    """Hijri years whose occasions (with spans) can touch ``[first, last]``, clipped to range."""
    lo = hijri.to_hijri(max(first, hijri.GREGORIAN_MIN_DATE))[0] - 1
    hi = hijri.to_hijri(min(last, hijri.GREGORIAN_MAX_DATE))[0] + 1
    return range(max(lo, hijri.HIJRI_MIN_YEAR), min(hi, hijri.HIJRI_MAX_YEAR) + 1)


def span_of(item: OccasionDate) -> tuple[date, date]:
    """First and last day an occurrence covers: its day(s) and its holiday span together."""
    lo = item.date if item.holiday_first_day is None else min(item.date, item.holiday_first_day)
    end = item.end_date or item.date
    hi = end if item.holiday_last_day is None else max(end, item.holiday_last_day)
    return lo, hi


def clear_cache() -> None:
    """Forget computed years (tests that swap the country configuration)."""
    _year.cache_clear()
    prediction.clear_cache()
    _library_observed.cache_clear()
    _national_raw.cache_clear()


# --------------------------------------------------------------------------------------
# computation


@dataclass(frozen=True, slots=True)
class _Day:
    date: dt.date  # ``dt.``: the field hides the type inside the class body
    source: DateSource
    final: bool
    earliest: dt.date
    latest: dt.date


def move_chance(found: OccasionDate) -> float | None:
    """The chance (0–1) that the occasion's day in force is not the one that happens: 0 when
    final, ``1 − P(date)`` for the crescent model's prediction, None for a tentative date
    the model does not price (a published estimate, a day moved to fit Ramadan's length)."""
    if not found.tentative:
        return 0.0
    forecast = found.predicted
    if found.source is not DateSource.PREDICTED or forecast is None:
        return None
    chance = next((c.probability for c in forecast.candidates if c.date == found.date), None)
    return None if chance is None else round(1 - chance, 3)


def _predicted(profile: CountryProfile, occasion: str, hy: int) -> Prediction:
    """The crescent model's prediction for the occasion's own day (``prediction``)."""
    m, d = OCCASION_HIJRI[occasion]
    return prediction.month_start(profile.code, hy, m).shifted(d - 1)


def _predicted_day(forecast: Prediction) -> _Day:
    return _Day(forecast.date, DateSource.PREDICTED, False, forecast.earliest,
                forecast.latest)


def _tentative_day(profile: CountryProfile, day: date) -> _Day:
    return _Day(day, DateSource.PREDICTED, False,
                day - timedelta(days=profile.early_risk_days),
                day + timedelta(days=profile.late_risk_days))


def _final_day(day: date, source: DateSource) -> _Day:
    return _Day(day, source, True, day, day)


@lru_cache(maxsize=16384)
def _year(code: str, hy: int, today: date,
          confirmed: tuple[tuple[str, date], ...]) -> Mapping[str, OccasionDate]:
    profile = country(code)
    confirmed_map = dict(confirmed)
    library = _library_observed(code)

    def known(occasion: str) -> _Day | None:
        if occasion in confirmed_map:
            return _final_day(confirmed_map[occasion], DateSource.CONFIRMED)
        own = profile.observed.get(occasion, {}).get(hy)
        if own is not None:
            return _final_day(own, DateSource.OBSERVED)
        published = library.get(occasion, {}).get(hy)
        if published is not None:
            if published <= today:
                return _final_day(published, DateSource.OBSERVED)
            if profile.published_is_final:
                return _final_day(published, DateSource.PUBLISHED)
            return _tentative_day(profile, published)
        return None

    forecasts: dict[str, Prediction] = {occasion: _predicted(profile, occasion, hy)
                                        for occasion in ISLAMIC_OCCASIONS}

    def base(occasion: str) -> _Day:
        return known(occasion) or _predicted_day(forecasts[occasion])

    days: dict[str, _Day] = {}
    # Ramadan and Eid al-Fitr: 1 Shawwal is 29 or 30 days after 1 Ramadan.
    fitr, ramadan = base(Occasion.EID_AL_FITR), base(Occasion.RAMADAN)
    # (The historical tables give Ramadan 1343 only 28 days; no country can observe that.)
    if not fitr.final:
        lo, hi = ramadan.date + timedelta(days=29), ramadan.date + timedelta(days=30)
        if ramadan.final:
            fitr = _clamp(fitr, lo, hi)
        elif not lo <= fitr.date <= hi:
            moved = min(max(fitr.date, lo), hi)
            fitr = replace(fitr, date=moved, earliest=min(fitr.earliest, moved),
                           latest=max(fitr.latest, moved))
    elif not ramadan.final:
        ramadan = _clamp(ramadan, fitr.date - timedelta(days=30), fitr.date - timedelta(days=29))
    days[Occasion.RAMADAN], days[Occasion.EID_AL_FITR] = ramadan, fitr
    # Eid al-Adha and Arafah: always consecutive.
    adha = known(Occasion.EID_AL_ADHA)
    if Occasion.EID_AL_ADHA not in confirmed_map and Occasion.ARAFAH in confirmed_map:
        adha = _final_day(confirmed_map[Occasion.ARAFAH] + timedelta(days=1),
                          DateSource.CONFIRMED)
    adha = adha or base(Occasion.EID_AL_ADHA)
    days[Occasion.EID_AL_ADHA] = adha
    days[Occasion.ARAFAH] = (_final_day(confirmed_map[Occasion.ARAFAH], DateSource.CONFIRMED)
                             if Occasion.ARAFAH in confirmed_map else _shift(adha, -1))
    # Muharram: Ashura is 1 Muharram + 9 when only the New Year is known.
    new_year = known(Occasion.ISLAMIC_NEW_YEAR)
    ashura = known(Occasion.ASHURA)
    if ashura is None and new_year is not None:
        ashura = _shift(new_year, 9)
    days[Occasion.ISLAMIC_NEW_YEAR] = new_year or base(Occasion.ISLAMIC_NEW_YEAR)
    days[Occasion.ASHURA] = ashura or base(Occasion.ASHURA)
    days[Occasion.MAWLID] = base(Occasion.MAWLID)

    days = {occ: _as_of(day, today) for occ, day in days.items()}
    month_start = {
        9: days[Occasion.RAMADAN].date,
        10: days[Occasion.EID_AL_FITR].date,
        12: days[Occasion.EID_AL_ADHA].date - timedelta(days=9),
        1: days[Occasion.ISLAMIC_NEW_YEAR].date,
        3: days[Occasion.MAWLID].date - timedelta(days=11),
    }
    result: dict[str, OccasionDate] = {}
    for occasion in ISLAMIC_OCCASIONS:
        day = days[occasion]
        m, d = OCCASION_HIJRI[occasion]
        span = profile.holiday_spans.get(occasion)
        first, last = _holiday(span, day.date, month_start) if span else (None, None)
        result[occasion] = OccasionDate(
            occasion=occasion,
            hijri_year=hy,
            date=day.date,
            hijri_date=hijri.isoformat(hy, m, d),
            name=dict(OCCASION_NAMES[occasion]),
            tentative=not day.final,
            earliest=day.earliest,
            latest=day.latest,
            source=day.source,
            confirmed_by=CONFIRMED_BY if day.source is DateSource.CONFIRMED else None,
            holiday_first_day=first,
            holiday_last_day=last,
            end_date=(days[Occasion.EID_AL_FITR].date - timedelta(days=1)
                      if occasion == Occasion.RAMADAN else None),
            predicted=forecasts[occasion],
        )
    return MappingProxyType(result)


def _clamp(day: _Day, lo: date, hi: date) -> _Day:
    def c(d: date) -> date:
        return min(max(d, lo), hi)

    return replace(day, date=c(day.date), earliest=c(day.earliest), latest=c(day.latest))


def _shift(day: _Day, days: int) -> _Day:
    delta = timedelta(days=days)
    return replace(day, date=day.date + delta, earliest=day.earliest + delta,
                   latest=day.latest + delta)


def _as_of(day: _Day, today: date) -> _Day:
    """A date that has passed is settled, whatever its source."""
    if not day.final and day.date < today:
        return replace(day, final=True, earliest=day.date, latest=day.date)
    return day


def _holiday(span: HolidaySpan, occasion_day: date,
             month_start: Mapping[int, date]) -> tuple[date, date]:
    def resolve(anchor: tuple[int, int] | None) -> date:
        if anchor is None:
            return occasion_day
        month, day = anchor
        return month_start[month] + timedelta(days=day - 1)

    first = resolve(span.start) + timedelta(days=span.start_offset_days)
    if span.length_days is not None:
        last = first + timedelta(days=span.length_days - 1)
    else:
        last = resolve(span.end) + timedelta(days=span.end_offset_days)
    return first, max(first, last)


# --------------------------------------------------------------------------------------
# the `holidays` package


@lru_cache(maxsize=64)
def _library_observed(code: str) -> Mapping[str, Mapping[int, date]]:
    """The library's confirmed (non-estimated) first days, by occasion and Hijri year."""
    profile = country(code)
    if not profile.holidays_code:
        return MappingProxyType({})
    try:
        calendar = holidays.country_holidays(profile.holidays_code)._islamic_calendar
    except (AttributeError, NotImplementedError, KeyError):  # library internals moved
        log.warning("no Islamic calendar in `holidays` for %s", profile.holidays_code)
        return MappingProxyType({})
    result: dict[str, Mapping[int, date]] = {}
    for occasion, name in _LIBRARY_NAME.items():
        method = getattr(calendar, f"{name}_dates", None)
        if method is None:
            continue
        lo, hi = _PLAUSIBLE.get(occasion, _PLAUSIBLE_MINOR)
        by_year: dict[int, date] = {}
        for gy in range(hijri.GREGORIAN_MIN_YEAR, hijri.GREGORIAN_MAX_YEAR + 2):
            for day, estimated in method(gy):
                if estimated or not hijri.GREGORIAN_MIN_DATE <= day <= hijri.GREGORIAN_MAX_DATE:
                    continue
                hy, distance = _nearest_year(day, occasion)
                if lo <= distance <= hi:
                    by_year[hy] = day
        result[occasion] = MappingProxyType(by_year)
    return MappingProxyType(result)


def _nearest_year(day: date, occasion: str) -> tuple[int, int]:
    m, d = OCCASION_HIJRI[occasion]
    around = hijri.to_hijri(day)[0]
    best: tuple[int, int] | None = None
    for hy in (around - 1, around, around + 1):
        if not hijri.HIJRI_MIN_YEAR <= hy <= hijri.HIJRI_MAX_YEAR:
            continue
        distance = (day - hijri.to_gregorian(hy, m, d)).days
        if best is None or abs(distance) < abs(best[1]):
            best = (hy, distance)
    assert best is not None
    return best


# English names (en_US) of the library's holidays that are the occasions above. Their
# "(observed)" compensation days are kept as national holidays: no span covers them.
_OCCASION_WORDS = ("eid al-fitr", "eid al-adha", "arafah", "islamic new year",
                   "hijri new year", "ashura", "prophet's birthday",
                   "prophet muhammad's birthday", "mawlid", "ramadan")


def _is_occasion(name_en: str) -> bool:
    lowered = name_en.lower()
    return "observed" not in lowered and any(w in lowered for w in _OCCASION_WORDS)


@lru_cache(maxsize=1024)
def _national_raw(code: str, year: int) -> tuple[tuple[date, Mapping[str, str], bool], ...]:
    profile = country(code)
    if not profile.holidays_code:
        return tuple(
            (date(year, e.month, e.day), MappingProxyType(dict(e.name)), False)
            for e in profile.national if e.since is None or year >= e.since)
    library_code = profile.holidays_code
    cls = type(holidays.country_holidays(library_code))
    languages = tuple(getattr(cls, "supported_languages", ()))
    default = getattr(cls, "default_language", None)
    en = "en_US" if "en_US" in languages else default
    ar = next((lang for lang in languages if lang.startswith("ar")), default)

    def build(language: str | None, *, marked: bool,
              years: int | list[int] = year) -> holidays.HolidayBase:
        try:
            return holidays.country_holidays(library_code, years=years, language=language,
                                             islamic_show_estimated=marked)
        except TypeError:  # a country without Islamic holidays takes no such flag
            return holidays.country_holidays(library_code, years=years, language=language)

    en_clean, ar_clean = build(en, marked=False), build(ar, marked=False)
    en_marked = build(en, marked=True)
    # the years around: the moving Islamic dates seldom meet the same fixed one twice running
    around = [y for y in (year - 1, year, year + 1) if 1 <= y <= 9999]
    alone = _names_alone(build(en, marked=False, years=around),
                         build(ar, marked=False, years=around))
    result = []
    for day in sorted(en_clean):
        marked = en_marked.get_list(day)
        for name_en, name_ar in _paired(en_clean.get_list(day), ar_clean.get_list(day), alone):
            if _is_occasion(name_en):
                continue
            # the library writes "(estimated)" into the marked name: a name that is not
            # among the marked ones as it is was marked
            result.append((day, MappingProxyType({"ar": name_ar, "en": name_en}),
                           name_en not in marked))
    return tuple(result)


def _paired(names_en: list[str], names_ar: list[str],
            alone: Mapping[str, str]) -> list[tuple[str, str]]:
    """A day's English names, each with its Arabic one. The library sorts a day's names
    in each language on its own, so where there are several their positions do not
    correspond (Libya's 14 August 2027: the Prophet's Birthday and National Environmental
    Sanitation Day); they are paired by the names seen alone on other days. A name left
    without its own translation keeps the English, never another holiday's Arabic."""
    if len(names_en) == 1 and len(names_ar) == 1:
        return [(names_en[0], names_ar[0])]
    if len(names_en) != len(names_ar):
        return [(name, name) for name in names_en]
    pairs = {name: alone[name] for name in names_en if alone.get(name) in names_ar}
    left_en = [name for name in names_en if name not in pairs]
    left_ar = [name for name in names_ar if name not in pairs.values()]
    if len(left_en) == 1 and len(left_ar) == 1:
        pairs[left_en[0]] = left_ar[0]
    return [(name, pairs.get(name, name)) for name in names_en]


def _names_alone(en_days: holidays.HolidayBase,
                 ar_days: holidays.HolidayBase) -> Mapping[str, str]:
    """English name → Arabic name of every holiday that is the only one of its day."""
    found: dict[str, str] = {}
    for day, name_en in en_days.items():
        name_ar = ar_days.get(day)
        if name_ar is not None and HOLIDAY_NAME_DELIMITER not in name_en \
                and HOLIDAY_NAME_DELIMITER not in name_ar:
            found.setdefault(name_en, name_ar)
    return found
