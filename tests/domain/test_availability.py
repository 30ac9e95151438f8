"""Availability, exactly: literal cases in odd zones and DST changes, and properties."""

from __future__ import annotations

import os
import time as systime
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import availability as av
from app.domain.hours import parse_working_hours
from app.domain.model import (
    DailyInterval,
    Policy,
    Status,
    Window,
    WindowKind,
    WindowSource,
)

RIYADH = ZoneInfo("Asia/Riyadh")
SPLIT = parse_working_hours({d: ["09:00-13:00", "16:00-20:00"] for d in ("sun", "mon", "tue", "wed", "thu")})


def policy(tz=RIYADH, hours=SPLIT, response=timedelta(hours=4), windows=()):  # noqa: ANN001, ANN201
    return Policy(timezone=tz, working_hours=hours, response_time=response, windows=tuple(windows))


def w(start: datetime, end: datetime, kind=WindowKind.OFF, source=WindowSource.RULE, **kw) -> Window:  # noqa: ANN001, ANN003
    return Window(id=f"{kind}-{start:%m%d%H}-{source}", kind=kind, starts_at=start, ends_at=end,
                  source=source, **kw)


def r(*args: int) -> datetime:
    return datetime(*args, tzinfo=RIYADH)


@pytest.mark.parametrize(("at", "status", "back", "reply"), [
    (r(2030, 7, 3, 10), Status.AVAILABLE, r(2030, 7, 3, 10), r(2030, 7, 3, 17)),
    (r(2030, 7, 3, 14), Status.OUTSIDE_HOURS, r(2030, 7, 3, 16), r(2030, 7, 3, 20)),
    (r(2030, 7, 3, 21), Status.OUTSIDE_HOURS, r(2030, 7, 4, 9), r(2030, 7, 4, 13)),
    # Thursday evening: the weekend (Fri, Sat) is skipped
    (r(2030, 7, 4, 19), Status.AVAILABLE, r(2030, 7, 4, 19), r(2030, 7, 7, 12)),
    (r(2030, 7, 5, 12), Status.OUTSIDE_HOURS, r(2030, 7, 7, 9), r(2030, 7, 7, 13)),
])
def test_split_week_in_riyadh(at, status, back, reply) -> None:  # noqa: ANN001
    p = policy()
    assert av.status_at(p, at).status is status
    assert av.back_at(p, at) == back
    assert av.reply_by(p, at) == reply


def test_interval_crossing_midnight() -> None:
    night = parse_working_hours({"thu": ["22:00-02:00"]})
    p = policy(hours=night, response=timedelta(hours=3))
    assert av.status_at(p, r(2030, 7, 5, 1)).status is Status.AVAILABLE  # Friday 01:00
    assert av.reply_by(p, r(2030, 7, 4, 23)) == r(2030, 7, 5, 2)  # 3 h: Thu 23:00 → Fri 02:00
    assert av.reply_by(p, r(2030, 7, 5, 1)) == r(2030, 7, 12, 0)  # 1 h tonight, 2 h next Thursday


def test_off_window_back_next_working_morning() -> None:
    eid = w(r(2030, 7, 1), r(2030, 7, 8))
    p = policy(windows=[eid])
    snap = av.status_at(p, r(2030, 7, 3, 11))
    assert snap.status is Status.OFF and snap.window == eid
    assert av.back_at(p, r(2030, 7, 3, 11)) == r(2030, 7, 8, 9)
    assert av.next_change(p, r(2030, 7, 3, 11)) == r(2030, 7, 8)


def test_reduced_window_with_reply_slots_spreads_over_days() -> None:
    ramadan = w(r(2030, 7, 1), r(2030, 7, 30), kind=WindowKind.REDUCED,
                reply_slots=(DailyInterval(time(20), time(21)),), response_time=timedelta(hours=2))
    p = policy(windows=[ramadan])
    at = r(2030, 7, 3, 10)
    assert av.status_at(p, at).status is Status.REDUCED
    assert av.back_at(p, at) == r(2030, 7, 3, 20)
    assert av.reply_by(p, at) == r(2030, 7, 4, 21)  # 1 h per evening slot, two evenings


def test_manual_reduced_overrides_rule_off() -> None:
    eid = w(r(2030, 7, 1), r(2030, 7, 8))
    working_eid = w(r(2030, 7, 2), r(2030, 7, 4), kind=WindowKind.REDUCED, source=WindowSource.MANUAL)
    p = policy(windows=[eid, working_eid])
    assert av.status_at(p, r(2030, 7, 3, 10)).status is Status.REDUCED
    assert av.status_at(p, r(2030, 7, 5, 10)).status is Status.OFF


def test_off_beats_reduced_when_both_are_rules() -> None:
    p = policy(windows=[w(r(2030, 7, 1), r(2030, 7, 8)),
                        w(r(2030, 7, 1), r(2030, 7, 30), kind=WindowKind.REDUCED)])
    assert av.status_at(p, r(2030, 7, 3, 10)).status is Status.OFF


def test_new_york_spring_forward_counts_real_hours() -> None:
    ny = ZoneInfo("America/New_York")
    p = policy(tz=ny, hours=parse_working_hours({"sat": ["22:00-04:00"]}))
    # 22:00 EST Saturday + 4 h of work = 03:00 EDT Sunday (the 02:00 hour does not exist)
    assert av.reply_by(p, datetime(2026, 3, 7, 21, tzinfo=ny)) == datetime(2026, 3, 8, 7, tzinfo=UTC)


def test_new_york_fall_back_counts_the_hour_twice() -> None:
    ny = ZoneInfo("America/New_York")
    p = policy(tz=ny, hours=parse_working_hours({"sun": ["00:00-04:00"]}),
               response=timedelta(hours=4, minutes=30))
    assert av.reply_by(p, datetime(2026, 10, 31, 21, tzinfo=ny)) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)


def test_interval_starting_in_a_gap_starts_when_the_clock_jumps() -> None:
    ny = ZoneInfo("America/New_York")
    p = policy(tz=ny, hours=parse_working_hours({"sun": ["02:30-05:00"]}), response=timedelta(hours=1))
    assert av.back_at(p, datetime(2026, 3, 7, 21, tzinfo=ny)) == datetime(2026, 3, 8, 7, tzinfo=UTC)


def test_cairo_dst_since_2023() -> None:
    cairo = ZoneInfo("Africa/Cairo")
    # Last Friday of April 2026 (24 April): 00:00 → 01:00. Thursday 22:00–02:00 is 3 real hours.
    p = policy(tz=cairo, hours=parse_working_hours({"thu": ["22:00-02:00"]}), response=timedelta(hours=3))
    assert av.reply_by(p, datetime(2026, 4, 23, 21, tzinfo=cairo)) == datetime(2026, 4, 23, 23, tzinfo=UTC)
    # a fourth hour has to wait for the next Thursday
    p4 = policy(tz=cairo, hours=parse_working_hours({"thu": ["22:00-02:00"]}), response=timedelta(hours=4))
    assert av.reply_by(p4, datetime(2026, 4, 23, 21, tzinfo=cairo)) == datetime(2026, 4, 30, 20, tzinfo=UTC)


def test_casablanca_ramadan_clock_change() -> None:
    casa = ZoneInfo("Africa/Casablanca")
    # 2026-02-15 03:00 (+01) → 02:00 (+00) for Ramadan: the 02:00–03:00 hour happens twice,
    # so Sunday 00:00–06:00 holds 7 real hours (23:00 UTC to 06:00 UTC).
    p = policy(tz=casa, hours=parse_working_hours({"sun": ["00:00-06:00"]}), response=timedelta(hours=7))
    at = datetime(2026, 2, 14, 23, tzinfo=casa)
    assert av.back_at(p, at) == datetime(2026, 2, 14, 23, 0, tzinfo=UTC)
    assert av.reply_by(p, at) == datetime(2026, 2, 15, 6, 0, tzinfo=UTC)
    assert av.reply_by(p, at).astimezone(casa).hour == 6


def test_kolkata_half_hour_offset() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")
    p = policy(tz=kolkata, hours=parse_working_hours({"mon": ["09:30-18:00"]}))
    assert av.back_at(p, datetime(2030, 7, 1, 3, 0, tzinfo=UTC)) == datetime(2030, 7, 1, 4, 0, tzinfo=UTC)


def test_beirut_and_naive_at() -> None:
    beirut = ZoneInfo("Asia/Beirut")
    p = policy(tz=beirut, hours=parse_working_hours({"mon": ["09:00-17:00"]}))
    assert av.back_at(p, datetime(2026, 3, 29, 12, tzinfo=beirut)).hour == 9
    with pytest.raises(ValueError):
        av.status_at(p, datetime(2030, 7, 1, 10))


def test_no_working_hours_is_a_clear_error() -> None:
    p = policy(hours=parse_working_hours({}))
    with pytest.raises(av.NoWorkingTime):
        av.back_at(p, r(2030, 7, 1))


ZONES = ["Asia/Riyadh", "Africa/Cairo", "Africa/Casablanca", "Asia/Beirut", "America/New_York",
         "Asia/Kolkata"]
clock = st.integers(min_value=0, max_value=23 * 4).map(lambda q: time(q // 4, (q % 4) * 15))


@st.composite
def policies(draw):  # noqa: ANN001, ANN201
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    spec = {}
    for day in draw(st.sets(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                            min_size=1, max_size=7)):
        start = draw(st.integers(min_value=0, max_value=20))
        length = draw(st.integers(min_value=1, max_value=3))
        spec[day] = [f"{start:02d}:00-{start + length:02d}:00"]
    base = datetime(2026, 1, 1, tzinfo=tz)
    windows = []
    for i in range(draw(st.integers(min_value=0, max_value=4))):
        start = base + timedelta(hours=draw(st.integers(min_value=0, max_value=24 * 700)))
        length = timedelta(hours=draw(st.integers(min_value=1, max_value=24 * 20)))
        kind = draw(st.sampled_from([WindowKind.OFF, WindowKind.REDUCED]))
        slots = ((DailyInterval(time(20), time(21)),) if kind is WindowKind.REDUCED and draw(st.booleans())
                 else ())
        windows.append(Window(id=f"w{i}", kind=kind, starts_at=start, ends_at=start + length,
                              source=draw(st.sampled_from(list(WindowSource))), reply_slots=slots))
    response = timedelta(minutes=draw(st.integers(min_value=15, max_value=60 * 30)))
    return Policy(timezone=tz, working_hours=parse_working_hours(spec), response_time=response,
                  windows=tuple(windows))


instants = st.integers(min_value=0, max_value=700 * 24 * 4).map(
    lambda q: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * q))


@settings(max_examples=150, deadline=None)
@given(policies(), instants)
def test_properties(p: Policy, at: datetime) -> None:
    back = av.back_at(p, at)
    reply = av.reply_by(p, at)
    assert at <= back <= reply
    assert av.status_at(p, back).status in (Status.AVAILABLE, Status.REDUCED)
    assert av.status_at(p, back).working
    just_before = reply - timedelta(seconds=1)
    snap = av.status_at(p, just_before)
    assert snap.status is not Status.OFF and snap.working


@settings(max_examples=25, deadline=None)
@given(policies(), instants, st.sampled_from(["UTC", "Asia/Tokyo", "America/Los_Angeles"]))
def test_results_do_not_depend_on_the_process_timezone(p: Policy, at: datetime, process_tz: str) -> None:
    expected = (av.status_at(p, at).status, av.back_at(p, at), av.reply_by(p, at))
    old = os.environ.get("TZ")
    os.environ["TZ"] = process_tz
    systime.tzset()
    try:
        assert (av.status_at(p, at).status, av.back_at(p, at), av.reply_by(p, at)) == expected
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        systime.tzset()
