"""Working hours, daily intervals and ISO 8601 durations: literal tables and round trips."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.hours import (
    as_typed,
    default_working_hours,
    format_daily_interval,
    format_duration,
    parse_daily_interval,
    parse_duration,
    parse_working_hours,
    working_hours_to_spec,
)
from app.domain.model import DailyInterval, WorkingHours

SUN_TO_THU = ("sun", "mon", "tue", "wed", "thu")


def test_split_days() -> None:
    hours = parse_working_hours({d: ["16:00-20:00", "09:00-13:00"] for d in SUN_TO_THU})
    assert hours.on(6) == (DailyInterval(time(9), time(13)), DailyInterval(time(16), time(20)))
    assert hours.on(4) == () and hours.on(5) == ()  # Friday and Saturday off
    assert working_hours_to_spec(hours)["sun"] == ["09:00-13:00", "16:00-20:00"]


@pytest.mark.parametrize(("text", "start", "end", "crosses"), [
    ("09:00-17:00", time(9), time(17), False),
    ("22:00-02:00", time(22), time(2), True),
    ("18:00-24:00", time(18), time(0), True),  # ends at midnight
    ("00:00-24:00", time(0), time(0), True),  # the whole day
    ("00:00-00:00", time(0), time(0), True),  # the whole day, written the other way
    (" 08:30 - 12:45 ", time(8, 30), time(12, 45), False),
])
def test_parse_daily_interval(text: str, start: time, end: time, crosses: bool) -> None:
    interval = parse_daily_interval(text)
    assert (interval.start, interval.end, interval.crosses_midnight) == (start, end, crosses)


@pytest.mark.parametrize(("text", "canonical"), [
    ("09:00-17:00", "09:00-17:00"),
    ("22:00-02:00", "22:00-02:00"),
    ("18:00-24:00", "18:00-24:00"),
    ("18:00-00:00", "18:00-24:00"),
    ("00:00-00:00", "00:00-24:00"),
])
def test_format_daily_interval(text: str, canonical: str) -> None:
    assert format_daily_interval(parse_daily_interval(text)) == canonical
    assert parse_daily_interval(canonical) == parse_daily_interval(text)


@pytest.mark.parametrize(("spec", "message"), [
    ({"mon": ["9-17"]}, "mon"),
    ({"mon": ["09:00"]}, "mon"),
    ({"mon": ["09:00-25:00"]}, "25:00"),
    ({"mon": ["09:60-10:00"]}, "09:60"),
    ({"mon": ["24:00-02:00"]}, "24:00"),
    ({"mon": ["24:30-02:00"]}, "24:30"),
    ({"tue": ["09:00-09:00"]}, "tue: '09:00-09:00' is empty"),
    ({"funday": ["09:00-17:00"]}, "funday"),
    ({"mon": "09:00-17:00"}, "mon"),
    ({"mon": [None]}, "mon"),
    ({"wed": ["09:00-13:00", "12:00-14:00"]}, "wed 09:00-13:00 and wed 12:00-14:00"),
    ({"wed": ["09:00-13:00", "09:00-13:00"]}, "wed 09:00-13:00 and wed 09:00-13:00"),
    ({"thu": ["22:00-02:00"], "fri": ["01:00-05:00"]}, "thu 22:00-02:00 and fri 01:00-05:00"),
    ({"sun": ["20:00-03:00"], "mon": ["02:00-04:00"]}, "sun 20:00-03:00 and mon 02:00-04:00"),
    ({"mon": ["00:00-24:00"], "tue": ["00:00-00:00"], "sun": ["23:00-01:00"]}, "overlap"),
    ({"mon": ["09:00-17:00"], "monday": ["16:00-18:00"]}, "overlap"),
])
def test_refuses_bad_working_hours(spec: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_working_hours(spec)


def test_refuses_a_non_mapping() -> None:
    with pytest.raises(ValueError, match="weekday"):
        parse_working_hours(["mon"])  # type: ignore[arg-type]


def test_touching_intervals_and_whole_days_are_fine() -> None:
    spec = {"mon": ["00:00-24:00"], "tue": ["00:00-09:00", "09:00-17:00", "22:00-24:00"],
            "wed": ["00:00-02:00"], "sat": ["20:00-04:00"], "sun": ["04:00-24:00"],
            "Friday": ["10:00-11:00"]}
    hours = parse_working_hours(spec)
    assert working_hours_to_spec(hours) == {
        "mon": ["00:00-24:00"], "tue": ["00:00-09:00", "09:00-17:00", "22:00-24:00"],
        "wed": ["00:00-02:00"], "fri": ["10:00-11:00"], "sat": ["20:00-04:00"],
        "sun": ["04:00-24:00"]}


def test_default_working_hours() -> None:
    hours = default_working_hours(["fri", "sat"])
    assert working_hours_to_spec(hours) == {d: ["09:00-17:00"] for d in
                                            ("mon", "tue", "wed", "thu", "sun")}
    assert default_working_hours(["Saturday", "Sunday"]).on(6) == ()
    assert default_working_hours([]) == parse_working_hours(
        {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})


@pytest.mark.parametrize(("text", "expected", "canonical"), [
    ("PT4H", timedelta(hours=4), "PT4H"),
    ("P1DT2H30M", timedelta(days=1, hours=2, minutes=30), "P1DT2H30M"),
    ("P2W", timedelta(weeks=2), "P14D"),
    ("P1W2D", timedelta(days=9), "P9D"),
    ("PT90M", timedelta(minutes=90), "PT1H30M"),
    ("PT0.5S", timedelta(milliseconds=500), "PT0.5S"),
    ("PT1,25H", timedelta(hours=1, minutes=15), "PT1H15M"),
    ("PT0.000001S", timedelta(microseconds=1), "PT0.000001S"),
    ("P0.5D", timedelta(hours=12), "PT12H"),
    ("pt15m", timedelta(minutes=15), "PT15M"),
    ("PT36H", timedelta(hours=36), "P1DT12H"),
    ("PT1M59.999999S", timedelta(minutes=1, seconds=59, microseconds=999999), "PT1M59.999999S"),
])
def test_parse_and_format_duration(text: str, expected: timedelta, canonical: str) -> None:
    assert parse_duration(text) == expected
    assert format_duration(expected) == canonical


@pytest.mark.parametrize(("text", "message"), [
    ("P1Y", "years and months"),
    ("P2M", "years and months"),
    ("P1Y2DT3H", "years and months"),
    ("", "ISO 8601"),
    ("P", "ISO 8601"),
    ("PT", "ISO 8601"),
    ("P1DT", "ISO 8601"),
    ("4 hours", "ISO 8601"),
    ("-PT4H", "ISO 8601"),
    ("PT4H30", "ISO 8601"),
    ("PT0S", "longer than zero"),
    ("P0D", "longer than zero"),
    ("P999999999999W", "too long"),
])
def test_refuses_bad_durations(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


def test_zero_duration_when_allowed() -> None:
    assert parse_duration("PT0S", allow_zero=True) == timedelta(0)
    assert format_duration(timedelta(0)) == "PT0S"
    with pytest.raises(ValueError):
        format_duration(timedelta(seconds=-1))
    with pytest.raises(ValueError):
        parse_duration(4)  # type: ignore[arg-type]


@settings(max_examples=300)
@given(st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=3650)))
def test_duration_round_trip(td: timedelta) -> None:
    assert parse_duration(format_duration(td)) == td


quarter_hours = st.integers(min_value=0, max_value=95).map(lambda q: time(q // 4, q % 4 * 15))


@st.composite
def weekly_specs(draw: st.DrawFn) -> dict[str, list[str]]:
    spec: dict[str, list[str]] = {}
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        pairs = draw(st.lists(st.tuples(quarter_hours, quarter_hours), max_size=3))
        spec[day] = [f"{a:%H:%M}-{b:%H:%M}" for a, b in pairs]
    return spec


@settings(max_examples=300)
@given(weekly_specs())
def test_working_hours_round_trip(spec: dict[str, list[str]]) -> None:
    try:
        hours = parse_working_hours(spec)
    except ValueError:
        return  # overlapping or empty: the refusals are covered above
    assert isinstance(hours, WorkingHours)
    assert parse_working_hours(working_hours_to_spec(hours)) == hours


@pytest.mark.parametrize(("typed", "read"), [
    ("٠٩:٠٠-١٧:٠٠", "09:00-17:00"),  # Arabic-Indic digits, from an Arabic keyboard
    ("۰۹:۰۰-۱۷:۰۰", "09:00-17:00"),  # Persian digits
    ("09:00–17:00", "09:00-17:00"),  # a phone's en dash
    ("9:00-17:00", "09:00-17:00"),
    ("9.30 - 13.00", "09:30 - 13:00"),
    ("9٫30-13٫00", "09:30-13:00"),  # the Arabic decimal separator
    ("22:00-2:00", "22:00-02:00"),
    ("9-5", "9-5"),  # not guessed: 5 in the morning or the evening?
    ("09:00-17:00", "09:00-17:00"),
])
def test_an_interval_as_a_person_types_it(typed: str, read: str) -> None:
    assert as_typed(typed) == read
