"""Weekly working hours, daily intervals and ISO 8601 durations: parsing and formatting.

Working hours are written as ``{"sun": ["09:00-13:00", "16:00-20:00"], ...}``: weekday
names ``mon``…``sun``, intervals ``HH:MM-HH:MM`` in the owner's timezone. An interval whose
end is not after its start runs past midnight into the next day (``"22:00-02:00"``);
``"00:00-24:00"`` (or ``"00:00-00:00"``) is the whole day. A day left out is a day off.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import time, timedelta

from app.domain.model import WEEKDAYS, DailyInterval, WorkingHours

_CLOCK = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d+(?:[.,]\d+)?)W)?(?:(?P<days>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+(?:[.,]\d+)?)H)?(?:(?P<minutes>\d+(?:[.,]\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?$"
)
DAY = timedelta(days=1)


def _clock(value: str, where: str) -> time | None:
    """``HH:MM`` → time; ``24:00`` → None (end of day)."""
    m = _CLOCK.match(value.strip())
    if not m or (m.group(1) == "24" and m.group(2) != "00"):
        raise ValueError(f"{where}: '{value}' is not a time of day HH:MM")
    if m.group(1) == "24":
        return None
    return time(int(m.group(1)), int(m.group(2)))


def parse_daily_interval(value: str, where: str = "interval") -> DailyInterval:
    """``"HH:MM-HH:MM"`` → DailyInterval. ``end <= start`` runs past midnight;
    ``24:00`` as an end means midnight. Raises ValueError naming ``where``."""
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"{where}: '{value}' is not an interval like '09:00-17:00'")
    raw_start, raw_end = value.split("-")
    start = _clock(raw_start, where)
    end = _clock(raw_end, where)
    if start is None:
        raise ValueError(f"{where}: an interval cannot start at 24:00")
    return DailyInterval(start=start, end=end if end is not None else time(0))


def format_daily_interval(interval: DailyInterval) -> str:
    end = "24:00" if interval.end == time(0) and interval.start != time(0) else f"{interval.end:%H:%M}"
    if interval.start == time(0) and interval.end == time(0):
        end = "24:00"
    return f"{interval.start:%H:%M}-{end}"


def interval_minutes(interval: DailyInterval) -> tuple[int, int]:
    """Minutes from the start of its day: ``(start, end)`` with ``end`` up to 2 × 1440."""
    start = interval.start.hour * 60 + interval.start.minute
    end = interval.end.hour * 60 + interval.end.minute
    if end <= start:
        end += 24 * 60
    return start, end


def parse_working_hours(spec: Mapping[str, Sequence[str]]) -> WorkingHours:
    """Parse the weekly schedule; ValueError names the day and interval that is wrong."""
    if not isinstance(spec, Mapping):
        raise ValueError("working hours must be an object of weekday → intervals")
    days: list[list[DailyInterval]] = [[] for _ in WEEKDAYS]
    for name, values in spec.items():
        key = str(name).strip().lower()[:3]
        if str(name).strip().lower() not in WEEKDAYS and str(name).strip().lower() not in (
                "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
            raise ValueError(f"'{name}' is not a weekday (mon, tue, wed, thu, fri, sat, sun)")
        if isinstance(values, str) or not isinstance(values, Sequence):
            raise ValueError(f"{key}: give a list of intervals like ['09:00-17:00']")
        for raw in values:
            interval = parse_daily_interval(raw, key)
            start, end = interval_minutes(interval)
            if end - start <= 0:
                raise ValueError(f"{key}: '{raw}' is empty")
            days[WEEKDAYS.index(key)].append(interval)
    _refuse_overlaps(days)
    return WorkingHours(days=tuple(tuple(sorted(d, key=lambda i: i.start)) for d in days))


def _refuse_overlaps(days: list[list[DailyInterval]]) -> None:
    week = 7 * 24 * 60
    spans: list[tuple[int, int, str]] = []
    for index, intervals in enumerate(days):
        for interval in intervals:
            start, end = interval_minutes(interval)
            label = f"{WEEKDAYS[index]} {format_daily_interval(interval)}"
            offset = index * 24 * 60
            spans.append((offset + start, offset + end, label))
            if offset + end > week:  # Sunday night running into Monday morning
                spans.append((offset + start - week, offset + end - week, label))
    spans.sort()
    for (s1, e1, l1), (s2, _e2, l2) in zip(spans, spans[1:], strict=False):
        if s2 < e1 and l1 != l2:
            raise ValueError(f"working hours overlap: {l1} and {l2}")


def working_hours_to_spec(hours: WorkingHours) -> dict[str, list[str]]:
    """The canonical ``{"sun": ["09:00-13:00"], ...}`` form (days off left out)."""
    return {WEEKDAYS[i]: [format_daily_interval(iv) for iv in hours.days[i]]
            for i in range(7) if hours.days[i]}


def default_working_hours(weekend: Sequence[str]) -> WorkingHours:
    """09:00–17:00 on every day that is not in ``weekend`` (weekday names)."""
    off = {w.lower()[:3] for w in weekend}
    nine_to_five = (DailyInterval(time(9), time(17)),)
    return WorkingHours(days=tuple(() if name in off else nine_to_five for name in WEEKDAYS))


def parse_duration(value: str, *, allow_zero: bool = False) -> timedelta:
    """ISO 8601 duration (``PT4H``, ``P1DT2H30M``, ``P2W``) → timedelta.

    Years and months are refused: their length depends on the calendar. Raises ValueError.
    """
    if not isinstance(value, str):
        raise ValueError("a duration is an ISO 8601 string such as 'PT4H'")
    m = _DURATION.match(value.strip().upper())
    if not m:
        raise ValueError(f"'{value}' is not an ISO 8601 duration in weeks, days, hours, "
                         "minutes or seconds (e.g. 'PT4H', 'P1DT12H')")
    parts = {k: float(v.replace(",", ".")) for k, v in m.groupdict().items() if v}
    td = timedelta(**parts)
    if td <= timedelta(0) and not allow_zero:
        raise ValueError(f"'{value}' must be longer than zero")
    return td


def format_duration(td: timedelta) -> str:
    """timedelta → canonical ISO 8601 (``PT4H``, ``P1DT2H30M``, ``PT0S``)."""
    total = td.total_seconds()
    if total < 0:
        raise ValueError("negative durations are not supported")
    days, rest = divmod(int(total), 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    fraction = total - int(total)
    out = "P" + (f"{days}D" if days else "")
    clock = ""
    if hours:
        clock += f"{hours}H"
    if minutes:
        clock += f"{minutes}M"
    if seconds or fraction:
        secs = seconds + fraction
        clock += (f"{secs:.6f}".rstrip("0").rstrip(".") if fraction else str(seconds)) + "S"
    if clock:
        out += "T" + clock
    return out if out != "P" else "PT0S"
