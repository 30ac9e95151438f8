"""Weekly working hours, daily intervals and ISO 8601 durations: parsing and formatting.

Working hours are written as ``{"sun": ["09:00-13:00", "16:00-20:00"], ...}``: weekday
names ``mon``…``sun`` (full English names are accepted too), intervals ``HH:MM-HH:MM`` in
the owner's timezone. An interval whose end is not after its start runs past midnight into
the next day (``"22:00-02:00"``); ``"00:00-24:00"`` and ``"00:00-00:00"`` are the whole day.
A day left out is a day off. Any other interval whose end equals its start is refused as
empty, and so are intervals that overlap anywhere in the week — including a Thursday
``22:00-02:00`` against a Friday ``01:00-05:00``, and Sunday night running into Monday.

Durations are ISO 8601 in weeks, days, hours, minutes and seconds (``PT4H``, ``P1DT2H30M``,
``P2W``, ``PT0.5S``). Years and months are refused: their length depends on the calendar.

Every parser raises ``ValueError`` with a message a person can act on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import time, timedelta
from decimal import Decimal, InvalidOperation

from app.domain.model import WEEKDAYS, DailyInterval, WorkingHours
from app.domain.refusal import Refusal

_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_NUMBER = r"\d+(?:[.,]\d+)?"
_DURATION = re.compile(
    rf"^P(?!$)(?:(?P<weeks>{_NUMBER})W)?(?:(?P<days>{_NUMBER})D)?"
    rf"(?:T(?=\d)(?:(?P<hours>{_NUMBER})H)?(?:(?P<minutes>{_NUMBER})M)?"
    rf"(?:(?P<seconds>{_NUMBER})S)?)?$"
)
_CALENDAR_UNITS = re.compile(r"^P(?:[^T]*[YM])")  # Y or M before any T: years or months
_MICROSECONDS = {"weeks": 604_800_000_000, "days": 86_400_000_000, "hours": 3_600_000_000,
                 "minutes": 60_000_000, "seconds": 1_000_000}
_MINUTES_PER_DAY = 24 * 60
_MINUTES_PER_WEEK = 7 * _MINUTES_PER_DAY


def _clock(value: str, where: str) -> time | None:
    """``HH:MM`` → time; ``24:00`` → None (the end of the day)."""
    m = _CLOCK.match(value.strip())
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise Refusal("not_time", "{where}: '{value}' is not a time of day HH:MM (00:00–24:00)",
                      where=where, value=value.strip())
    if m.group(1) == "24":
        return None
    return time(int(m.group(1)), int(m.group(2)))


# What a person types for a time, beside what the parser reads: Arabic-Indic and Persian
# digits, the dashes phones and word processors put for "-", a dot (or the Arabic decimal
# separator) between hours and minutes, an hour without its leading zero.
_TYPED_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
_TYPED_DASHES = str.maketrans({"–": "-", "—": "-", "−": "-", "‐": "-", "‑": "-"})
_DOTTED = re.compile(r"(?<!\d)(\d{1,2})[.\u066b](\d{2})(?!\d)")
_ONE_DIGIT_HOUR = re.compile(r"(?<!\d)(\d):(\d{2})(?!\d)")


def as_typed(value: str) -> str:
    """A time or an interval as a person types it, in the form the parser reads:
    «٩:٠٠–١٧:٠٠» and "9.00 – 17.00" are "09:00-17:00". Nothing else is guessed ("9-5" stays
    as it is, to be refused: 5 could be morning or evening)."""
    text = value.translate(_TYPED_DIGITS).translate(_TYPED_DASHES)
    return _ONE_DIGIT_HOUR.sub(r"0\1:\2", _DOTTED.sub(r"\1:\2", text))


def parse_daily_interval(value: str, where: str = "interval") -> DailyInterval:
    """``"HH:MM-HH:MM"`` → DailyInterval, in local time.

    ``end <= start`` runs past midnight; ``24:00`` as an end is midnight; ``00:00-00:00`` is
    the whole day. Raises ValueError naming ``where`` for malformed or empty intervals
    (``"09:00-09:00"``).
    """
    if not isinstance(value, str) or value.count("-") != 1:
        raise Refusal("not_interval", "{where}: {value!r} is not an interval like '09:00-17:00'",
                      where=where, value=value)
    raw_start, raw_end = value.split("-")
    start = _clock(raw_start, where)
    end = _clock(raw_end, where)
    if start is None:
        raise Refusal("starts_at_midnight", "{where}: '{value}' cannot start at 24:00",
                      where=where, value=value)
    if end is None:
        end = time(0)
    if start == end and start != time(0):
        raise Refusal("empty_interval", "{where}: '{value}' is empty (its end equals its start)",
                      where=where, value=value)
    return DailyInterval(start=start, end=end)


def format_daily_interval(interval: DailyInterval) -> str:
    """DailyInterval → ``"HH:MM-HH:MM"``; an interval ending at midnight ends ``24:00``."""
    end = "24:00" if interval.end == time(0) else f"{interval.end:%H:%M}"
    return f"{interval.start:%H:%M}-{end}"


def interval_minutes(interval: DailyInterval) -> tuple[int, int]:
    """Minutes from the start of its own day: ``(start, end)``, ``end`` up to 2 × 1440."""
    start = interval.start.hour * 60 + interval.start.minute
    end = interval.end.hour * 60 + interval.end.minute
    if end <= start:
        end += _MINUTES_PER_DAY
    return start, end


def _weekday(name: object) -> int:
    key = str(name).strip().lower()
    if key in WEEKDAYS:
        return WEEKDAYS.index(key)
    if key in _FULL_NAMES:
        return _FULL_NAMES.index(key)
    raise ValueError(f"'{name}' is not a weekday (use mon, tue, wed, thu, fri, sat, sun)")


def parse_working_hours(spec: Mapping[str, Sequence[str]]) -> WorkingHours:
    """Parse the weekly schedule (see the module docstring).

    Raises ValueError naming the day and interval for an unknown day, a malformed or empty
    interval, or two intervals that overlap (within a day or across midnight).
    """
    if not isinstance(spec, Mapping):
        raise ValueError("working hours must be an object of weekday → list of intervals")
    days: list[list[DailyInterval]] = [[] for _ in WEEKDAYS]
    for name, values in spec.items():
        index = _weekday(name)
        where = WEEKDAYS[index]
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise ValueError(f"{where}: give a list of intervals like ['09:00-17:00']")
        for raw in values:
            days[index].append(parse_daily_interval(raw, where))
    _refuse_overlaps(days)
    return WorkingHours(days=tuple(tuple(sorted(d, key=lambda i: i.start)) for d in days))


def _refuse_overlaps(days: list[list[DailyInterval]]) -> None:
    """Place every interval on one week of minutes (Sunday night wraps onto Monday)."""
    spans: list[tuple[int, int, int, tuple[str, str]]] = []
    for index, intervals in enumerate(days):
        for number, interval in enumerate(intervals):
            start, end = interval_minutes(interval)
            label = (WEEKDAYS[index], format_daily_interval(interval))
            offset = index * _MINUTES_PER_DAY
            ident = index * 1000 + number
            spans.append((offset + start, offset + end, ident, label))
            if offset + end > _MINUTES_PER_WEEK:
                spans.append((offset + start - _MINUTES_PER_WEEK,
                               offset + end - _MINUTES_PER_WEEK, ident, label))
    spans.sort()
    # Sorted by start, a set of spans is disjoint iff each pair of neighbours is.
    for (_s1, e1, id1, l1), (s2, _e2, id2, l2) in zip(spans, spans[1:], strict=False):
        if s2 < e1 and id1 != id2:
            raise Refusal("hours_overlap", "working hours overlap: {day} {first} and "
                          "{other_day} {second}", day=l1[0], first=l1[1], other_day=l2[0],
                          second=l2[1])


def working_hours_to_spec(hours: WorkingHours) -> dict[str, list[str]]:
    """The canonical ``{"sun": ["09:00-13:00"], ...}`` form; days off are left out."""
    return {WEEKDAYS[i]: [format_daily_interval(iv) for iv in hours.days[i]]
            for i in range(7) if hours.days[i]}


def week_from_first_working_day(weekend: Sequence[str]) -> tuple[str, ...]:
    """The seven weekday names (``mon``…``sun``) as a country reads its week: from the day
    after its weekend (Friday–Saturday → Sunday first, Saturday–Sunday → Monday first)."""
    last = max((_weekday(w) for w in weekend), default=6)
    return tuple(WEEKDAYS[(last + 1 + i) % 7] for i in range(7))


def default_working_hours(weekend: Sequence[str]) -> WorkingHours:
    """09:00–17:00 on every day that is not in ``weekend`` (weekday names)."""
    off = {_weekday(w) for w in weekend}
    nine_to_five = (DailyInterval(time(9), time(17)),)
    return WorkingHours(days=tuple(() if i in off else nine_to_five for i in range(7)))


def parse_duration(value: str, *, allow_zero: bool = False) -> timedelta:
    """ISO 8601 duration (``PT4H``, ``P1DT2H30M``, ``P2W``, ``PT1.5S``) → timedelta.

    Exact to the microsecond (decimal fractions, ``.`` or ``,``). Must be longer than zero
    unless ``allow_zero``. Years and months are refused. Raises ValueError.
    """
    if not isinstance(value, str):
        raise ValueError("a duration is an ISO 8601 string such as 'PT4H'")
    text = value.strip().upper()
    m = _DURATION.match(text)
    if not m:
        if _CALENDAR_UNITS.match(text):
            raise ValueError(f"'{value}': years and months have no fixed length; give the "
                             "duration in weeks, days, hours, minutes or seconds (e.g. 'P30D')")
        raise ValueError(f"'{value}' is not an ISO 8601 duration in weeks, days, hours, "
                         "minutes or seconds (e.g. 'PT4H', 'P1DT12H')")
    try:
        micro = sum((Decimal(v.replace(",", ".")) * _MICROSECONDS[k]
                     for k, v in m.groupdict().items() if v), Decimal(0))
        td = timedelta(microseconds=int(micro.to_integral_value()))
    except (OverflowError, InvalidOperation) as exc:
        raise ValueError(f"'{value}' is too long") from exc
    if td <= timedelta(0) and not allow_zero:
        raise ValueError(f"'{value}' must be longer than zero")
    return td


def format_duration(td: timedelta) -> str:
    """timedelta → canonical ISO 8601 (``PT4H``, ``P1DT2H30M``, ``PT0.5S``, ``PT0S``).

    Weeks are written as days. Raises ValueError for a negative duration.
    """
    if td < timedelta(0):
        raise ValueError("negative durations are not supported")
    hours, rest = divmod(td.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if td.microseconds:
        clock += f"{seconds}.{td.microseconds:06d}".rstrip("0") + "S"
    elif seconds:
        clock += f"{seconds}S"
    text = "P" + (f"{td.days}D" if td.days else "") + (f"T{clock}" if clock else "")
    return text if text != "P" else "PT0S"
