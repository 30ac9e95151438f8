"""How an owner treats an occasion (a :class:`Rule`) and the windows rules produce.

A rule names an occasion (one of the Islamic occasions, or ``national`` for each of the
country's other public holidays), a kind (``off``/``reduced``) and a span:

* ``{"type": "holiday"}`` — the country's official public-holiday span for the occasion
  (Turkey's: from 13:00 on the eve); where the occasion has none, its own day(s) (Ramadan:
  the whole month). The span's uncertainty is that of the month it is anchored in: Saudi
  Arabia's Eid al-Fitr holiday starts the day after 29 Ramadan, so it moves with 1 Ramadan
  (a confirmed 1 Ramadan settles it) and a later Eid only means it began on 30 Ramadan.
* ``{"type": "days", "before": B, "after": A}`` — the occasion's day(s) widened by B days
  before and A days after (Ramadan: the whole month ± days).
* ``{"type": "hijri", "start": "09-29", "end": "10-03"}`` — Hijri month-days of the
  occasion's Hijri year in the country's own calendar (months 1, 3, 9, 10 and 12 follow the
  observed or confirmed occasion in them; other months are Umm al-Qura plus the country's
  offset). An ``end`` earlier in the year than ``start`` falls in the next Hijri year.

:func:`materialise` turns rules into :class:`~app.domain.model.Window` values for an owner:
``[starts_at, ends_at)`` from local midnight of the first day to local midnight after the
last, in the owner's timezone. A local midnight that does not exist (a zone that springs
forward at 00:00, e.g. Asia/Beirut, America/Santiago) becomes the first instant of that
day: the wall time is read with ``fold=0`` and normalised through UTC. The earliest/latest
edges move by the same number of days as the occasion's earliest/latest (Ramadan's end
moves with Eid al-Fitr). Window ids are deterministic —
``f"{id_prefix}{rule.id}:{occasion}:{hijri_year}"`` (national holidays use the ISO date in
place of the Hijri year) — so re-materialising after a confirmation replaces windows in
place. Each window comes wrapped in :class:`MaterialisedWindow` with its occasion, Hijri
year and rule id; :func:`occurrence_key` reads the same back from an id.

Occurrences are computed once per (country, Hijri year, day, confirmations) and cached in
``occasions``; per owner only the timezone arithmetic is done.

Errors: :func:`rule_from_dict` raises ``ValueError`` whose message starts with the field
(``span.before: ...``); unknown countries raise ``countries.UnknownCountry``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from app.domain import countries, hijri, hours, occasions
from app.domain.model import (
    DailyInterval,
    Occasion,
    OccasionDate,
    Window,
    WindowKind,
    WindowSource,
)
from app.domain.refusal import Refusal

RULE_OCCASIONS = (*countries.ISLAMIC_OCCASIONS, Occasion.NATIONAL)
MAX_SPAN_DAYS = 90
_MONTH_OCCASION = {9: Occasion.RAMADAN, 10: Occasion.EID_AL_FITR, 12: Occasion.EID_AL_ADHA,
                   1: Occasion.ISLAMIC_NEW_YEAR, 3: Occasion.MAWLID}
_FIELDS = {"id", "occasion", "kind", "span", "reply_slots", "response_time", "notice_days",
           "title"}


@dataclass(frozen=True, slots=True)
class HolidaySpan:
    """The country's official public-holiday span (or the occasion's own day(s))."""


@dataclass(frozen=True, slots=True)
class DaysSpan:
    """The occasion's day(s), ``before`` days earlier to ``after`` days later."""

    before: int = 0
    after: int = 0


@dataclass(frozen=True, slots=True)
class HijriSpan:
    """Hijri ``(month, day)`` to ``(month, day)``, inclusive, in the country's calendar."""

    start: tuple[int, int]
    end: tuple[int, int]


Span = HolidaySpan | DaysSpan | HijriSpan


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    occasion: str
    kind: WindowKind
    span: Span = field(default_factory=HolidaySpan)
    reply_slots: tuple[DailyInterval, ...] = ()
    response_time: timedelta | None = None
    notice_days: int = 7
    title: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class MaterialisedWindow:
    """A rule's window with what it was made from, so a confirmation can find it."""

    window: Window
    occasion: str
    hijri_year: int | None
    rule_id: str


# --------------------------------------------------------------------------------------
# (de)serialisation


def rule_from_dict(d: Mapping[str, Any]) -> Rule:  # Any: parsed JSON, checked field by field
    """A :class:`Rule` from its JSON form; ``ValueError`` naming the field on bad input."""
    if not isinstance(d, Mapping):
        raise ValueError("rule: must be an object")
    unknown = sorted(set(d) - _FIELDS)
    if unknown:
        raise ValueError(f"{unknown[0]}: unknown field (allowed: {', '.join(sorted(_FIELDS))})")
    occasion = d.get("occasion")
    if occasion not in RULE_OCCASIONS:
        raise ValueError(f"occasion: must be one of {', '.join(RULE_OCCASIONS)}, got {occasion!r}")
    kind = d.get("kind")
    if kind not in {k.value for k in WindowKind}:
        raise ValueError(f"kind: must be 'off' or 'reduced', got {kind!r}")
    rule_id = d.get("id") or f"{occasion}-{kind}"
    if not isinstance(rule_id, str) or not re.fullmatch(r"[A-Za-z0-9_.\-]{1,64}", rule_id):
        raise ValueError(f"id: 1-64 letters, digits, '_', '-' or '.', got {rule_id!r}")
    span = _span_from(d.get("span", {"type": "holiday"}))
    if occasion == Occasion.NATIONAL and isinstance(span, HijriSpan):
        raise ValueError("span.type: 'hijri' does not apply to national holidays")
    if isinstance(span, HijriSpan) and not _touches_month(span, occasions.OCCASION_HIJRI[
            occasion][0]):
        month = occasions.OCCASION_HIJRI[occasion][0]
        raise Refusal("span_outside_month", "span: a Hijri span for {occasion} must reach "
                      "into its month ({month_name}, {month:02d}-..), got {start} to {end}",
                      occasion=occasion, month=month, month_name=hijri.month_name(month),
                      start="{:02d}-{:02d}".format(*span.start),
                      end="{:02d}-{:02d}".format(*span.end))
    slots = d.get("reply_slots") or []
    if not isinstance(slots, list | tuple):
        raise ValueError("reply_slots: must be a list like [\"20:00-21:00\"]")
    reply_slots = tuple(_slot_from(s, f"reply_slots[{i}]") for i, s in enumerate(slots))
    if reply_slots and kind == WindowKind.OFF.value:
        raise Refusal("off_has_no_slots", "reply_slots: an 'off' rule has no replies; use "
                      "kind 'reduced' for fixed reply times")
    response = d.get("response_time")
    response_time = None if response is None else parse_duration(response, "response_time")
    notice = d.get("notice_days", 7)
    if not isinstance(notice, int) or isinstance(notice, bool) or not 0 <= notice <= 365:
        raise Refusal("whole_days", "{where}: a whole number of days from 0 to {most}, "
                      "got {value!r}", where="notice_days", most=365, value=notice)
    title = d.get("title")
    if title is not None and (
        not isinstance(title, Mapping) or not title
        or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                   for k, v in title.items())):
        raise ValueError("title: must be an object of language -> non-empty text, "
                         "e.g. {\"ar\": \"...\", \"en\": \"...\"}")
    return Rule(id=rule_id, occasion=occasion, kind=WindowKind(kind), span=span,
                reply_slots=reply_slots, response_time=response_time, notice_days=notice,
                title=dict(title) if title is not None else None)


def rule_to_dict(rule: Rule) -> dict[str, Any]:  # Any: JSON values of several types
    """The JSON form of ``rule`` (inverse of :func:`rule_from_dict`)."""
    if isinstance(rule.span, DaysSpan):
        span: dict[str, int | str] = {"type": "days", "before": rule.span.before,
                                      "after": rule.span.after}
    elif isinstance(rule.span, HijriSpan):
        span = {"type": "hijri", "start": "{:02d}-{:02d}".format(*rule.span.start),
                "end": "{:02d}-{:02d}".format(*rule.span.end)}
    else:
        span = {"type": "holiday"}
    return {
        "id": rule.id,
        "occasion": rule.occasion,
        "kind": rule.kind.value,
        "span": span,
        "reply_slots": [f"{s.start:%H:%M}-{s.end:%H:%M}" for s in rule.reply_slots],
        "response_time": None if rule.response_time is None else format_duration(
            rule.response_time),
        "notice_days": rule.notice_days,
        "title": dict(rule.title) if rule.title is not None else None,
    }


def _span_from(raw: object) -> Span:
    if not isinstance(raw, Mapping):
        raise ValueError("span: must be an object with a 'type'")
    kind = raw.get("type")
    if kind == "holiday":
        extra = set(raw) - {"type"}
        if extra:
            raise ValueError(f"span.{sorted(extra)[0]}: not allowed for type 'holiday'")
        return HolidaySpan()
    if kind == "days":
        extra = set(raw) - {"type", "before", "after"}
        if extra:
            raise ValueError(f"span.{sorted(extra)[0]}: not allowed for type 'days'")
        values = []
        for name in ("before", "after"):
            v = raw.get(name, 0)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_SPAN_DAYS:
                raise Refusal("whole_days", "{where}: a whole number of days from 0 to "
                              "{most}, got {value!r}", where=f"span.{name}",
                              most=MAX_SPAN_DAYS, value=v)
            values.append(v)
        return DaysSpan(*values)
    if kind == "hijri":
        extra = set(raw) - {"type", "start", "end"}
        if extra:
            raise ValueError(f"span.{sorted(extra)[0]}: not allowed for type 'hijri'")
        return HijriSpan(_hijri_md(raw.get("start"), "span.start"),
                         _hijri_md(raw.get("end"), "span.end"))
    raise ValueError(f"span.type: must be 'holiday', 'days' or 'hijri', got {kind!r}")


def _touches_month(span: HijriSpan, month: int) -> bool:
    """Whether the span (which may run into the next year) has a day in ``month``."""
    (sm, _sd), (em, _ed) = span.start, span.end
    if (span.end) >= (span.start):
        return sm <= month <= em
    return month >= sm or month <= em


def _hijri_md(value: object, where: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{2})-(\d{2})", value) if isinstance(value, str) else None
    if not m or not 1 <= int(m[1]) <= 12 or not 1 <= int(m[2]) <= 30:
        raise Refusal("hijri_month_day", "{where}: a Hijri month-day 'MM-DD' (month 01-12, "
                      "day 01-30), got {value!r}", where=where, value=value)
    return int(m[1]), int(m[2])


def _slot_from(value: object, where: str) -> DailyInterval:
    m = re.fullmatch(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})", value) if isinstance(value, str) else None
    try:
        if not m:
            raise ValueError
        start = time(int(m[1]), int(m[2]))
        end = time(0) if (m[3], m[4]) == ("24", "00") else time(int(m[3]), int(m[4]))
    except ValueError:
        raise Refusal("time_range", "{where}: a time range 'HH:MM-HH:MM', got {value!r}",
                      where=where, value=value) from None
    if start == end:
        raise Refusal("same_time", "{where}: start and end are the same time ({value!r})",
                      where=where, value=value)
    return DailyInterval(start, end)




def parse_duration(value: object, where: str = "duration") -> timedelta:
    """ISO 8601 duration -> timedelta (``hours.parse_duration``); ``ValueError`` names ``where``."""
    if not isinstance(value, str):
        raise ValueError(f"{where}: an ISO 8601 duration such as 'PT8H', got {value!r}")
    try:
        return hours.parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc


format_duration = hours.format_duration


# --------------------------------------------------------------------------------------
# defaults


def default_rules(country_code: str) -> list[Rule]:
    """The rules an owner in the country gets unless they set their own (from its TOML)."""
    return list(_default_rules(countries.country(country_code).code))


@lru_cache(maxsize=64)
def _default_rules(code: str) -> tuple[Rule, ...]:
    profile = countries.country(code)
    rules = []
    for i, raw in enumerate(profile.default_rules):
        try:
            rules.append(rule_from_dict(dict(raw)))
        except ValueError as exc:
            raise countries.CountryDataError(f"{code}: default_rules[{i}].{exc}") from exc
    return tuple(rules)


# --------------------------------------------------------------------------------------
# materialising


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz`` (a nonexistent 00:00 becomes the DST start)."""
    return at_local(day, time(0), tz)


def at_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """``day`` at wall time ``clock`` in ``tz``, normalised through UTC (gaps move forward)."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC).astimezone(tz)


def occurrence_key(window_id: str) -> tuple[str, int | None]:
    """``(occasion, hijri_year)`` of a rule window id (``None`` for national holidays)."""
    parts = window_id.rsplit(":", 2)
    if len(parts) < 3:
        raise ValueError(f"window id {window_id!r} is not a rule window id")
    occasion, key = parts[1], parts[2]
    return occasion, int(key) if key.isdigit() else None


@dataclass(frozen=True, slots=True)
class _Plan:
    first: date
    last: date
    start_shift: tuple[int, int]  # (earliest, latest) days relative to first
    end_shift: tuple[int, int]
    tentative: bool
    eve_from: time | None = None
    move_chance: float | None = 0.0


def materialise(rules: Iterable[Rule], *, country: str, tz: ZoneInfo, start: date, end: date,
                today: date,
                confirmations: occasions.Confirmations = occasions._NO_CONFIRMATIONS,
                id_prefix: str = "") -> list[MaterialisedWindow]:
    """Every window of ``rules`` whose days (including their possible range) touch
    ``[start, end]`` (local calendar days), in ``tz``, sorted by start.

    Raises ``UnknownCountry``; Hijri years beyond the Umm al-Qura tables are skipped, so a
    range reaching past 2077 yields only what is computable.
    """
    profile = countries.country(country)
    code = profile.code
    years = occasions.hijri_years_between(start - timedelta(days=MAX_SPAN_DAYS + 40),
                                          end + timedelta(days=MAX_SPAN_DAYS + 40))
    by_year: dict[int, Mapping[str, OccasionDate]] = {}

    def year(hy: int) -> Mapping[str, OccasionDate] | None:
        if not hijri.HIJRI_MIN_YEAR <= hy <= hijri.HIJRI_MAX_YEAR:
            return None
        if hy not in by_year:
            by_year[hy] = occasions._year(code, hy, today,
                                          occasions.confirmation_key(confirmations, hy))
        return by_year[hy]

    made: list[MaterialisedWindow] = []
    for rule in rules:
        if rule.occasion == Occasion.NATIONAL:
            made.extend(_national_windows(rule, profile, tz, start, end, today, id_prefix))
            continue
        for hy in years:
            this = year(hy)
            if this is None:
                continue
            plan = _plan(rule, hy, this, year(hy + 1), profile)
            if plan is None:
                continue
            lo = plan.first + timedelta(days=plan.start_shift[0])
            hi = plan.last + timedelta(days=plan.end_shift[1])
            if hi < start or lo > end:
                continue
            occ = this[rule.occasion]
            title = dict(rule.title) if rule.title else {
                lang: f"{name} {hy}" for lang, name in occ.name.items()}
            made.append(MaterialisedWindow(
                window=_window(f"{id_prefix}{rule.id}:{rule.occasion}:{hy}", rule, plan, tz,
                               title),
                occasion=rule.occasion, hijri_year=hy, rule_id=rule.id))
    return sorted(made, key=lambda m: (m.window.starts_at, m.window.id))


def _plan(rule: Rule, hy: int, this: Mapping[str, OccasionDate],
          following: Mapping[str, OccasionDate] | None,
          profile: countries.CountryProfile) -> _Plan | None:
    occ = this[rule.occasion]
    end_occ = this[Occasion.EID_AL_FITR] if rule.occasion == Occasion.RAMADAN else occ
    last_day = occ.end_date or occ.date
    eve = None
    if isinstance(rule.span, HolidaySpan):
        official = profile.holiday_spans.get(rule.occasion)
        start_occ = occ
        if (official is not None and occ.holiday_first_day is not None
                and occ.holiday_last_day is not None):
            first, last = occ.holiday_first_day, occ.holiday_last_day
            eve = official.eve_half_day_from
            # The span moves with the month it is anchored in (Saudi Arabia's Eid al-Fitr
            # holiday follows 29 Ramadan, so 1 Ramadan's uncertainty moves it, not Eid's).
            start_occ = _anchor_occurrence(official.start, this, occ)
            end_occ = (start_occ if official.length_days is not None
                       else _anchor_occurrence(official.end, this, occ))
        else:
            first, last = occ.date, last_day
    elif isinstance(rule.span, DaysSpan):
        first = occ.date - timedelta(days=rule.span.before)
        last = last_day + timedelta(days=rule.span.after)
        start_occ = occ
    else:
        (sm, sd), (em, ed) = rule.span.start, rule.span.end
        end_year = this if (em, ed) >= (sm, sd) else following
        end_hy = hy if (em, ed) >= (sm, sd) else hy + 1
        if end_year is None:
            return None
        first, start_occ = _hijri_day(hy, sm, sd, this, profile, occ)
        last, end_occ = _hijri_day(end_hy, em, ed, end_year, profile, occ)
        if last < first:
            return None

    def shift(o: OccasionDate) -> tuple[int, int]:
        return (o.earliest - o.date).days, (o.latest - o.date).days

    return _Plan(first, last, shift(start_occ), shift(end_occ),
                 start_occ.tentative or end_occ.tentative, eve, occasions.move_chance(end_occ))


def _anchor_occurrence(anchor: tuple[int, int] | None, year: Mapping[str, OccasionDate],
                       occ: OccasionDate) -> OccasionDate:
    name = _MONTH_OCCASION.get(anchor[0]) if anchor is not None else None
    return year[name] if name is not None else occ


def _hijri_day(hy: int, month: int, day: int, year: Mapping[str, OccasionDate],
               profile: countries.CountryProfile,
               fallback: OccasionDate) -> tuple[date, OccasionDate]:
    """Gregorian day of Hijri ``month-day`` of ``hy`` in the country's calendar, and the
    occurrence whose uncertainty it carries."""
    day = min(day, month_length(hy, month, year))
    anchor = _MONTH_OCCASION.get(month)
    if anchor is not None:
        occ = year[anchor]
        start = occ.date - timedelta(days=occasions.OCCASION_HIJRI[anchor][1] - 1)
        return start + timedelta(days=day - 1), occ
    start = hijri.to_gregorian(hy, month, 1) + timedelta(days=profile.offset_days)
    return start + timedelta(days=day - 1), fallback


def month_length(hy: int, month: int, year: Mapping[str, OccasionDate]) -> int:
    """Days in Hijri ``month`` of ``hy`` in the country's calendar: Ramadan ends where the
    country's Eid al-Fitr begins; other months as Umm al-Qura has them."""
    if month == 9 and Occasion.EID_AL_FITR in year and Occasion.RAMADAN in year:
        return (year[Occasion.EID_AL_FITR].date - year[Occasion.RAMADAN].date).days
    return hijri.month_length(hy, month)


def span_notes(rule: Rule, *, country: str, today: date, years: int = 2) -> list[str]:
    """What a Hijri span does that its text does not say, for the coming ``years`` Hijri
    years: "span.end 09-30: Ramadan 1448 has 29 days; the window ends on 29 Ramadan"."""
    if not isinstance(rule.span, HijriSpan) or rule.occasion == Occasion.NATIONAL:
        return []
    code = countries.country(country).code
    first = hijri.to_hijri(today)[0]
    notes = []
    for hy in range(first, first + years):
        if not hijri.HIJRI_MIN_YEAR <= hy <= hijri.HIJRI_MAX_YEAR - 1:
            continue
        for where, (month, day) in (("start", rule.span.start), ("end", rule.span.end)):
            in_year = hy if where == "start" or rule.span.end >= rule.span.start else hy + 1
            this = occasions._year(code, in_year, today, occasions.confirmation_key(
                occasions._NO_CONFIRMATIONS, in_year))
            length = month_length(in_year, month, this)
            if day > length:
                name = hijri.month_name(month)
                notes.append(f"span.{where} {month:02d}-{day:02d}: {name} {in_year} has "
                             f"{length} days; the window {where}s on {length} {name}")
    return notes


def _window(window_id: str, rule: Rule, plan: _Plan, tz: ZoneInfo,
            title: dict[str, str]) -> Window:
    def begin(day: date) -> datetime:
        if plan.eve_from is not None:
            return at_local(day - timedelta(days=1), plan.eve_from, tz)
        return local_midnight(day, tz)

    after_last = plan.last + timedelta(days=1)
    es, ls = plan.start_shift
    ee, le = plan.end_shift
    return Window(
        id=window_id,
        kind=rule.kind,
        starts_at=begin(plan.first),
        ends_at=local_midnight(after_last, tz),
        source=WindowSource.RULE,
        occasion=rule.occasion,
        title=title,
        tentative=plan.tentative,
        earliest_start=begin(plan.first + timedelta(days=es)),
        latest_start=begin(plan.first + timedelta(days=ls)),
        earliest_end=local_midnight(after_last + timedelta(days=ee), tz),
        latest_end=local_midnight(after_last + timedelta(days=le), tz),
        move_chance=plan.move_chance if plan.tentative else 0.0,
        reply_slots=rule.reply_slots,
        response_time=rule.response_time,
        notice_days=rule.notice_days,
    )


def _national_windows(rule: Rule, profile: countries.CountryProfile, tz: ZoneInfo,
                      start: date, end: date, today: date,
                      id_prefix: str) -> list[MaterialisedWindow]:
    before = rule.span.before if isinstance(rule.span, DaysSpan) else 0
    after = rule.span.after if isinstance(rule.span, DaysSpan) else 0
    made: list[MaterialisedWindow] = []
    seen: set[date] = set()
    for gy in range(start.year - 1, end.year + 2):
        if not hijri.GREGORIAN_MIN_YEAR <= gy <= hijri.GREGORIAN_MAX_YEAR:
            continue
        for holiday in occasions.national_holidays(profile.code, gy, today=today):
            first = holiday.date - timedelta(days=before)
            last = holiday.date + timedelta(days=after)
            if last < start or first > end or holiday.date in seen:
                continue
            seen.add(holiday.date)
            plan = _Plan(first, last, (0, 0), (0, 0), holiday.tentative,
                         move_chance=None if holiday.tentative else 0.0)
            title = dict(rule.title) if rule.title else dict(holiday.name)
            made.append(MaterialisedWindow(
                window=_window(f"{id_prefix}{rule.id}:national:{holiday.date.isoformat()}",
                               rule, plan, tz, title),
                occasion=Occasion.NATIONAL, hijri_year=None, rule_id=rule.id))
    return made
