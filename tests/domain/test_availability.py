"""Availability, exactly: literal cases in odd zones and across DST changes, and properties.

Riyadh cases use Sun–Thu 09:00–13:00 and 16:00–20:00 (weekend Fri, Sat); 2030-07-01 is a
Monday. DST instants were checked against zoneinfo (tzdata):
- America/New_York: 2026-03-08 02:00 EST → 03:00 EDT (07:00 UTC); 2026-11-01 02:00 EDT → 01:00 EST.
- Africa/Cairo: 2026-04-24 00:00 → 01:00 (22:00 UTC the day before); 2026-10-29 24:00 → 23:00.
- Africa/Casablanca (Ramadan): 2025-02-23 03:00 → 02:00 (02:00 UTC); 2025-04-06 02:00 → 03:00.
- Asia/Beirut: 2026-03-29 00:00 → 01:00; 2026-10-25 00:00 → 2026-10-24 23:00.
"""

from __future__ import annotations

import os
import random
import time as systime
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, note, settings
from hypothesis import strategies as st

from app.domain import availability as av
from app.domain.hours import parse_working_hours, working_hours_to_spec
from app.domain.model import (
    DailyInterval,
    Policy,
    Status,
    Window,
    WindowKind,
    WindowSource,
)

RIYADH = ZoneInfo("Asia/Riyadh")
NEW_YORK = ZoneInfo("America/New_York")
CAIRO = ZoneInfo("Africa/Cairo")
CASABLANCA = ZoneInfo("Africa/Casablanca")
BEIRUT = ZoneInfo("Asia/Beirut")
KOLKATA = ZoneInfo("Asia/Kolkata")
SPLIT = parse_working_hours({d: ["09:00-13:00", "16:00-20:00"]
                             for d in ("sun", "mon", "tue", "wed", "thu")})
OFF, REDUCED = WindowKind.OFF, WindowKind.REDUCED
RULE, MANUAL = WindowSource.RULE, WindowSource.MANUAL


def policy(tz: ZoneInfo = RIYADH, hours: object = SPLIT, response: timedelta = timedelta(hours=4),
           windows: tuple[Window, ...] | list[Window] = ()) -> Policy:
    return Policy(timezone=tz, working_hours=hours, response_time=response,  # type: ignore[arg-type]
                  windows=tuple(windows))


def weekly(tz: ZoneInfo, spec: dict[str, list[str]], response: timedelta) -> Policy:
    return policy(tz=tz, hours=parse_working_hours(spec), response=response)


def w(start: datetime, end: datetime, kind: WindowKind = OFF, source: WindowSource = RULE,
      **kw: object) -> Window:
    return Window(id=f"{kind}-{start:%m%d%H}-{source}", kind=kind, starts_at=start, ends_at=end,
                  source=source, **kw)  # type: ignore[arg-type]


def r(*args: int) -> datetime:
    return datetime(*args, tzinfo=RIYADH)  # type: ignore[misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def u(instant: datetime) -> datetime:
    """In UTC. Results come in the owner's zone, where an ambiguous local time (``fold=1``)
    compares unequal to every other zone (PEP 495): compare instants in UTC."""
    return instant.astimezone(UTC)


def maybe_u(instant: datetime | None) -> datetime | None:
    return None if instant is None else u(instant)


def slot(a: int, b: int) -> tuple[DailyInterval, ...]:
    return (DailyInterval(time(a), time(b % 24)),)


# --------------------------------------------------------------------------- Riyadh, literal


@pytest.mark.parametrize(("at", "status", "back", "reply", "change"), [
    (r(2030, 7, 3, 10), Status.AVAILABLE, r(2030, 7, 3, 10), r(2030, 7, 3, 17), r(2030, 7, 3, 13)),
    (r(2030, 7, 3, 13), Status.OUTSIDE_HOURS, r(2030, 7, 3, 16), r(2030, 7, 3, 20),
     r(2030, 7, 3, 16)),
    (r(2030, 7, 3, 21), Status.OUTSIDE_HOURS, r(2030, 7, 4, 9), r(2030, 7, 4, 13),
     r(2030, 7, 4, 9)),
    # Thursday evening: 1 h on Thursday, the weekend (Fri, Sat) skipped, 3 h on Sunday
    (r(2030, 7, 4, 19), Status.AVAILABLE, r(2030, 7, 4, 19), r(2030, 7, 7, 12), r(2030, 7, 4, 20)),
    (r(2030, 7, 5, 12), Status.OUTSIDE_HOURS, r(2030, 7, 7, 9), r(2030, 7, 7, 13),
     r(2030, 7, 7, 9)),
    # exactly at the end of the morning interval: a reply that fills it ends at 13:00
    (r(2030, 7, 3, 12, 59), Status.AVAILABLE, r(2030, 7, 3, 12, 59), r(2030, 7, 3, 19, 59),
     r(2030, 7, 3, 13)),
])
def test_split_week_in_riyadh(at: datetime, status: Status, back: datetime, reply: datetime,
                              change: datetime) -> None:
    p = policy()
    assert av.status_at(p, at).status is status
    assert av.back_at(p, at) == back
    assert av.reply_by(p, at) == reply
    assert av.next_change(p, at) == change


def test_reply_by_is_the_end_of_a_working_interval_when_it_fills_it() -> None:
    p = policy(response=timedelta(hours=4))
    assert av.reply_by(p, r(2030, 7, 3, 9)) == r(2030, 7, 3, 13)  # not 16:00
    assert av.reply_by(p, r(2030, 7, 3, 14)) == r(2030, 7, 3, 20)


def test_results_are_in_the_owners_timezone() -> None:
    p = policy()
    at = datetime(2030, 7, 3, 7, tzinfo=UTC)  # 10:00 in Riyadh
    assert av.back_at(p, at).tzinfo is RIYADH
    assert av.reply_by(p, at).utcoffset() == timedelta(hours=3)
    assert av.next_change(p, at) == r(2030, 7, 3, 13)


def test_interval_crossing_midnight() -> None:
    p = weekly(RIYADH, {"thu": ["22:00-02:00"]}, timedelta(hours=3))
    assert av.status_at(p, r(2030, 7, 5, 1)).status is Status.AVAILABLE  # Friday 01:00
    assert av.status_at(p, r(2030, 7, 5, 2)).status is Status.OUTSIDE_HOURS
    assert av.reply_by(p, r(2030, 7, 4, 23)) == r(2030, 7, 5, 2)  # Thu 23:00 + 3 h
    assert av.reply_by(p, r(2030, 7, 5, 1)) == r(2030, 7, 12, 0)  # 1 h, then 2 h a week on
    assert av.next_change(p, r(2030, 7, 5, 1)) == r(2030, 7, 5, 2)


def test_whole_days_join_into_one_working_stretch() -> None:
    p = weekly(RIYADH, {"mon": ["00:00-24:00"], "tue": ["00:00-00:00"]}, timedelta(hours=30))
    assert list(av.working_segments(p, r(2030, 7, 1), r(2030, 7, 8))) == [
        (r(2030, 7, 1), r(2030, 7, 3))]
    assert av.next_change(p, r(2030, 7, 1, 5)) == r(2030, 7, 3)
    assert av.reply_by(p, r(2030, 7, 1, 20)) == r(2030, 7, 8, 2)  # 4 + 24 h, then Monday


# --------------------------------------------------------------------------- windows


def test_off_window_over_eid_back_the_next_working_morning() -> None:
    eid = w(r(2030, 7, 1), r(2030, 7, 8))
    p = policy(windows=[eid])
    snap = av.status_at(p, r(2030, 7, 3, 11))
    assert snap == av.Snapshot(Status.OFF, eid, False)
    assert av.back_at(p, r(2030, 7, 3, 11)) == r(2030, 7, 8, 9)
    assert av.reply_by(p, r(2030, 7, 3, 11)) == r(2030, 7, 8, 13)
    assert av.next_change(p, r(2030, 7, 3, 11)) == r(2030, 7, 8)  # off → outside_hours
    assert av.status_at(p, r(2030, 7, 8)).status is Status.OUTSIDE_HOURS
    assert av.status_at(p, r(2030, 7, 1)).status is Status.OFF  # [starts_at, ends_at)


def test_off_window_ending_on_thursday_afternoon_spills_over_the_weekend() -> None:
    p = policy(windows=[w(r(2030, 7, 1), r(2030, 7, 4, 18))])
    assert av.back_at(p, r(2030, 7, 2, 10)) == r(2030, 7, 4, 18)
    assert av.reply_by(p, r(2030, 7, 2, 10)) == r(2030, 7, 7, 11)  # 2 h Thu, 2 h Sun


def test_off_window_response_time_applies_after_the_break() -> None:
    p = policy(windows=[w(r(2030, 7, 1), r(2030, 7, 8), response_time=timedelta(hours=8))])
    assert av.reply_by(p, r(2030, 7, 3, 11)) == r(2030, 7, 8, 20)  # Monday 09–13 and 16–20
    assert av.response_time_at(p, r(2030, 7, 3, 11)) == timedelta(hours=8)
    assert av.reply_by(p, r(2030, 7, 8, 10)) == r(2030, 7, 8, 17)  # after the break: owner's 4 h


def test_reduced_window_with_reply_slots_answers_in_the_next_slot() -> None:
    ramadan = w(r(2030, 7, 1), r(2030, 7, 30), kind=REDUCED, reply_slots=slot(20, 21),
                response_time=timedelta(hours=2))
    p = policy(windows=[ramadan])
    at = r(2030, 7, 3, 10)
    assert av.status_at(p, at) == av.Snapshot(Status.REDUCED, ramadan, False)
    assert av.status_at(p, r(2030, 7, 3, 20, 30)) == av.Snapshot(Status.REDUCED, ramadan, True)
    assert av.back_at(p, at) == r(2030, 7, 3, 20)
    # answered in the evening's slot: 2 h of response time in 1 h slots is not two evenings
    assert av.reply_by(p, at) == r(2030, 7, 3, 21)
    assert av.reply_by(p, r(2030, 7, 3, 20, 30)) == r(2030, 7, 3, 21)  # within the slot
    assert av.next_change(p, at) == r(2030, 7, 3, 20)  # reduced, now working
    # slots count every day of the window, the weekend too
    assert av.reply_by(p, r(2030, 7, 5, 10)) == r(2030, 7, 5, 21)


def test_reply_slots_are_clipped_to_the_window_and_may_cross_midnight() -> None:
    window = w(r(2030, 7, 1), r(2030, 7, 3, 0, 30), kind=REDUCED, reply_slots=slot(23, 25))
    p = policy(windows=[window], response=timedelta(hours=3))
    # Tue 23:00–00:30 inside the window: the slot, clipped at the window's end past
    # midnight, is when the message is answered
    assert av.reply_by(p, r(2030, 7, 2, 22)) == r(2030, 7, 3, 0, 30)
    assert av.next_change(p, r(2030, 7, 2, 23, 10)) == r(2030, 7, 3, 0, 30)


def test_reduced_window_without_slots_keeps_the_weekly_hours() -> None:
    window = w(r(2030, 7, 3, 11), r(2030, 7, 10), kind=REDUCED, response_time=timedelta(hours=6))
    p = policy(windows=[window])
    assert av.next_change(p, r(2030, 7, 3, 10)) == r(2030, 7, 3, 11)  # available → reduced
    assert av.status_at(p, r(2030, 7, 3, 12)) == av.Snapshot(Status.REDUCED, window, True)
    assert av.reply_by(p, r(2030, 7, 3, 12)) == r(2030, 7, 4, 10)  # 1 + 4 + 1 h


def test_manual_reduced_overrides_rule_off() -> None:
    eid = w(r(2030, 7, 1), r(2030, 7, 8))
    working_eid = w(r(2030, 7, 3), r(2030, 7, 4), kind=REDUCED, source=MANUAL)
    p = policy(windows=[eid, working_eid])
    assert av.status_at(p, r(2030, 7, 3, 10)) == av.Snapshot(Status.REDUCED, working_eid, True)
    assert av.status_at(p, r(2030, 7, 5, 10)).status is Status.OFF
    assert av.back_at(p, r(2030, 7, 2, 10)) == r(2030, 7, 3, 9)
    # Wednesday 19:00–20:00, then the rule's Eid until Monday: 09:00 + 3 h
    assert av.reply_by(p, r(2030, 7, 3, 19)) == r(2030, 7, 8, 12)
    assert av.next_change(p, r(2030, 7, 3, 19)) == r(2030, 7, 3, 20)
    assert av.next_change(p, r(2030, 7, 3, 20)) == r(2030, 7, 4)  # reduced → off


def test_manual_reduced_with_slots_over_rule_off() -> None:
    eid = w(r(2030, 7, 1), r(2030, 7, 8))
    evenings = w(r(2030, 7, 1), r(2030, 7, 8), kind=REDUCED, source=MANUAL,
                 reply_slots=slot(20, 21))
    p = policy(windows=[eid, evenings], response=timedelta(hours=2))
    assert av.back_at(p, r(2030, 7, 2, 10)) == r(2030, 7, 2, 20)
    assert av.reply_by(p, r(2030, 7, 2, 10)) == r(2030, 7, 2, 21)  # in that evening's slot


@pytest.mark.parametrize(("windows", "status"), [
    ([w(r(2030, 7, 1), r(2030, 7, 8)), w(r(2030, 7, 1), r(2030, 7, 30), kind=REDUCED)],
     Status.OFF),  # rule off beats rule reduced
    ([w(r(2030, 7, 1), r(2030, 7, 8), source=MANUAL),
      w(r(2030, 7, 1), r(2030, 7, 30), kind=REDUCED, source=MANUAL)], Status.OFF),
    ([w(r(2030, 7, 1), r(2030, 7, 8), source=WindowSource.COUNTRY),
      w(r(2030, 7, 1), r(2030, 7, 30), kind=REDUCED, source=MANUAL)], Status.REDUCED),
    ([w(r(2030, 7, 1), r(2030, 7, 8), source=MANUAL),
      w(r(2030, 7, 1), r(2030, 7, 30), kind=REDUCED, source=RULE)], Status.OFF),
])
def test_precedence(windows: list[Window], status: Status) -> None:
    assert av.status_at(policy(windows=windows), r(2030, 7, 3, 10)).status is status


def test_back_to_back_windows_and_empty_windows() -> None:
    first = w(r(2030, 7, 1), r(2030, 7, 4))
    second = w(r(2030, 7, 4), r(2030, 7, 8), kind=REDUCED, reply_slots=slot(20, 21))
    empty = w(r(2030, 7, 2), r(2030, 7, 2))
    p = policy(windows=[second, empty, first])
    assert av.next_change(p, r(2030, 7, 2)) == r(2030, 7, 4)
    assert av.back_at(p, r(2030, 7, 2)) == r(2030, 7, 4, 20)


# --------------------------------------------------------------------------- DST, exact


def test_new_york_spring_forward_pt4h_across_the_night() -> None:
    p = weekly(NEW_YORK, {"sat": ["22:00-04:00"]}, timedelta(hours=4))
    # 22:00 EST Saturday + 4 real hours = 07:00 UTC = 03:00 EDT (02:00–03:00 does not exist)
    assert u(av.reply_by(p, datetime(2026, 3, 7, 21, tzinfo=NEW_YORK))) == utc(2026, 3, 8, 7)
    # the interval holds 5 real hours, not 6
    assert list(av.working_segments(p, utc(2026, 3, 7), utc(2026, 3, 9))) == [
        (utc(2026, 3, 8, 3), utc(2026, 3, 8, 8))]


def test_new_york_day_hours_across_spring_forward() -> None:
    p = weekly(NEW_YORK, {d: ["09:00-17:00"] for d in ("sat", "sun")}, timedelta(hours=4))
    # Saturday 16:00 EST: 1 h (21–22 UTC), then Sunday 09:00 EDT (13:00 UTC) + 3 h
    reply = av.reply_by(p, datetime(2026, 3, 7, 16, tzinfo=NEW_YORK))
    assert reply == utc(2026, 3, 8, 16)
    assert reply.hour == 12


def test_new_york_fall_back_counts_the_hour_twice() -> None:
    p = weekly(NEW_YORK, {"sun": ["00:00-04:00"]}, timedelta(hours=4, minutes=30))
    # 00:00 EDT (04:00 UTC) to 04:00 EST (09:00 UTC): five real hours
    assert u(av.reply_by(p, datetime(2026, 10, 31, 21, tzinfo=NEW_YORK))) == utc(2026, 11, 1, 8, 30)


def test_new_york_ambiguous_start_is_the_first_occurrence() -> None:
    p = weekly(NEW_YORK, {"sun": ["01:30-02:00"]}, timedelta(minutes=30))
    assert u(av.back_at(p, datetime(2026, 10, 31, 21, tzinfo=NEW_YORK))) == utc(2026, 11, 1, 5, 30)
    # 01:30 EDT to 02:00 EST: 1.5 real hours
    assert list(av.working_segments(p, utc(2026, 11, 1), utc(2026, 11, 2))) == [
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7))]


def test_interval_starting_in_a_gap_starts_when_the_clock_jumps() -> None:
    p = weekly(NEW_YORK, {"sun": ["02:30-05:00"]}, timedelta(hours=1))
    assert u(av.back_at(p, datetime(2026, 3, 7, 21, tzinfo=NEW_YORK))) == utc(2026, 3, 8, 7)
    gap_only = weekly(NEW_YORK, {"sun": ["02:00-02:45"], "mon": ["09:00-10:00"]},
                      timedelta(minutes=10))
    # entirely inside the gap: no working time that Sunday
    assert av.back_at(gap_only, datetime(2026, 3, 7, 21, tzinfo=NEW_YORK)) == datetime(
        2026, 3, 9, 9, tzinfo=NEW_YORK)


def test_cairo_spring_forward_at_midnight() -> None:
    p3 = weekly(CAIRO, {"thu": ["22:00-02:00"]}, timedelta(hours=3))
    p4 = weekly(CAIRO, {"thu": ["22:00-02:00"]}, timedelta(hours=4))
    at = datetime(2026, 4, 23, 21, tzinfo=CAIRO)
    # Thursday 22:00 EET (20:00 UTC) to Friday 02:00 EEST (23:00 UTC): 3 real hours
    assert u(av.reply_by(p3, at)) == utc(2026, 4, 23, 23)
    assert u(av.reply_by(p4, at)) == utc(2026, 4, 30, 20)  # the 4th hour waits a week
    friday = weekly(CAIRO, {"fri": ["00:00-02:00"]}, timedelta(hours=1))
    assert u(av.back_at(friday, at)) == utc(2026, 4, 23, 22)  # midnight does not exist: 01:00
    assert u(av.reply_by(friday, at)) == utc(2026, 4, 23, 23)


def test_cairo_fall_back_thursday_midnight() -> None:
    p = weekly(CAIRO, {"thu": ["22:00-02:00"]}, timedelta(hours=5))
    at = datetime(2026, 10, 29, 21, tzinfo=CAIRO)
    # 22:00 EEST (19:00 UTC) to Friday 02:00 EET (00:00 UTC): 5 real hours
    assert u(av.reply_by(p, at)) == utc(2026, 10, 30, 0)
    assert av.reply_by(p, at).hour == 2
    late = weekly(CAIRO, {"thu": ["23:00-23:30"]}, timedelta(minutes=30))
    assert u(av.back_at(late, at)) == utc(2026, 10, 29, 20)  # the first 23:00 (EEST)


def test_casablanca_ramadan_clock_change_2025() -> None:
    p = weekly(CASABLANCA, {"sun": ["00:00-06:00"]}, timedelta(hours=7))
    at = datetime(2025, 2, 22, 20, tzinfo=CASABLANCA)
    # 2025-02-23 03:00 (+01) → 02:00 (+00): Sunday 00:00–06:00 holds 7 real hours
    assert u(av.back_at(p, at)) == utc(2025, 2, 22, 23)
    assert u(av.reply_by(p, at)) == utc(2025, 2, 23, 6)
    ambiguous = weekly(CASABLANCA, {"sun": ["02:30-05:00"]}, timedelta(hours=3, minutes=30))
    assert u(av.reply_by(ambiguous, at)) == utc(2025, 2, 23, 5)  # from the first 02:30 (+01)
    # 2025-04-06 02:00 (+00) → 03:00 (+01): the same interval holds 5 real hours
    back = datetime(2025, 4, 5, 20, tzinfo=CASABLANCA)
    six = weekly(CASABLANCA, {"sun": ["00:00-06:00"]}, timedelta(hours=6))
    assert u(av.reply_by(six, back)) == utc(2025, 4, 13, 0)  # 5 h, then 1 h a week later (+01)


def test_beirut_midnight_changes() -> None:
    p = weekly(BEIRUT, {"sat": ["22:00-02:00"]}, timedelta(hours=3))
    # 2026-03-29 00:00 → 01:00: Saturday 22:00 (+02) to Sunday 02:00 (+03) is 3 real hours
    assert u(av.reply_by(p, datetime(2026, 3, 28, 12, tzinfo=BEIRUT))) == utc(2026, 3, 28, 23)
    # 2026-10-25 00:00 → 23:00: 22:00 (+03) to 02:00 (+02) is 5 real hours
    p5 = weekly(BEIRUT, {"sat": ["22:00-02:00"]}, timedelta(hours=5))
    assert u(av.reply_by(p5, datetime(2026, 10, 24, 12, tzinfo=BEIRUT))) == utc(2026, 10, 25, 0)
    sunday = weekly(BEIRUT, {"sun": ["00:00-02:00"]}, timedelta(hours=1))
    assert u(av.back_at(sunday, datetime(2026, 3, 28, 12, tzinfo=BEIRUT))) == utc(2026, 3, 28, 22)


def test_kolkata_half_hour_offset() -> None:
    p = weekly(KOLKATA, {"mon": ["09:30-18:00"]}, timedelta(hours=4))
    assert u(av.back_at(p, utc(2030, 7, 1, 3))) == utc(2030, 7, 1, 4)
    assert av.reply_by(p, utc(2030, 7, 1, 3)) == datetime(2030, 7, 1, 13, 30, tzinfo=KOLKATA)


def test_off_window_ending_in_new_york_dst_night() -> None:
    hours = parse_working_hours({d: ["00:00-24:00"] for d in ("sat", "sun")})
    off = w(datetime(2026, 3, 7, tzinfo=NEW_YORK), datetime(2026, 3, 8, 3, tzinfo=NEW_YORK))
    p = policy(tz=NEW_YORK, hours=hours, windows=[off], response=timedelta(hours=2))
    assert u(av.back_at(p, datetime(2026, 3, 7, 12, tzinfo=NEW_YORK))) == utc(2026, 3, 8, 7)
    assert u(av.reply_by(p, datetime(2026, 3, 7, 12, tzinfo=NEW_YORK))) == utc(2026, 3, 8, 9)


# --------------------------------------------------------------------------- errors, scale


def test_naive_instants_are_refused() -> None:
    p = policy()
    for call in (av.status_at, av.back_at, av.reply_by, av.next_change):
        with pytest.raises(ValueError, match="timezone-aware"):
            call(p, datetime(2030, 7, 1, 10))


def test_no_working_hours_is_a_clear_error() -> None:
    p = policy(hours=parse_working_hours({}))
    with pytest.raises(av.NoWorkingTime, match="no working time within 400 days"):
        av.back_at(p, r(2030, 7, 1))
    with pytest.raises(av.NoWorkingTime):
        av.reply_by(p, r(2030, 7, 1))
    assert av.next_change(p, r(2030, 7, 1)) is None
    assert av.status_at(p, r(2030, 7, 1)).status is Status.OUTSIDE_HOURS


def test_a_year_long_off_window_is_past_the_horizon() -> None:
    p = policy(windows=[w(r(2030, 1, 1), r(2031, 6, 1))])
    with pytest.raises(av.NoWorkingTime):
        av.back_at(p, r(2030, 3, 1))
    assert av.back_at(p, r(2030, 6, 1)) == r(2031, 6, 1, 9)  # Sunday


def test_ten_thousand_windows_give_the_same_answers() -> None:
    rng = random.Random(7)
    windows = []
    for i in range(10_000):
        start = r(2010, 1, 1) + timedelta(hours=rng.randrange(0, 24 * 365 * 25))
        windows.append(Window(id=f"w{i}", kind=rng.choice([OFF, REDUCED]), starts_at=start,
                              ends_at=start + timedelta(hours=rng.randrange(1, 24 * 5)),
                              source=rng.choice(list(WindowSource)),
                              reply_slots=rng.choice([(), slot(20, 22)])))
    # long windows are indexed apart: one far in the past, one over everything
    windows.append(Window(id="old", kind=OFF, source=MANUAL, starts_at=r(2000, 1, 1),
                          ends_at=r(2005, 1, 1)))
    windows.append(Window(id="long", kind=REDUCED, starts_at=r(2009, 1, 1), ends_at=r(2036, 1, 1),
                          reply_slots=slot(10, 12)))
    big = policy(windows=windows)
    for _ in range(40):
        at = r(2011, 1, 1) + timedelta(minutes=rng.randrange(0, 60 * 24 * 365 * 20))
        reply = av.reply_by(big, at)
        near = [x for x in windows
                if x.ends_at > at - timedelta(days=1) and x.starts_at < reply + timedelta(days=1)]
        small = policy(windows=near)
        assert av.status_at(big, at) == av.status_at(small, at)
        assert av.back_at(big, at) == av.back_at(small, at)
        assert reply == av.reply_by(small, at)
        assert av.next_change(big, at) == av.next_change(small, at)


# --------------------------------------------------------------------------- properties

ZONES = [RIYADH, CAIRO, CASABLANCA, BEIRUT, NEW_YORK, KOLKATA]
TRANSITIONS = [utc(2025, 2, 23, 2), utc(2025, 4, 6, 2), utc(2026, 3, 8, 7), utc(2026, 11, 1, 6),
               utc(2026, 4, 23, 22), utc(2026, 10, 29, 21), utc(2026, 3, 28, 22),
               utc(2026, 10, 24, 21)]
quarter_hours = st.integers(min_value=0, max_value=95).map(lambda q: time(q // 4, q % 4 * 15))
BASE = utc(2025, 1, 1)
instants = st.one_of(
    st.integers(min_value=0, max_value=3 * 365 * 24 * 4).map(
        lambda q: BASE + timedelta(minutes=15 * q)),
    st.tuples(st.sampled_from(TRANSITIONS), st.integers(min_value=-48 * 60, max_value=48 * 60))
    .map(lambda t: t[0] + timedelta(minutes=t[1])),
)


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    tz = draw(st.sampled_from(ZONES))
    spec = {}
    for day in draw(st.sets(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                            min_size=1, max_size=7)):
        pairs = draw(st.lists(st.tuples(quarter_hours, quarter_hours), min_size=1, max_size=2))
        spec[day] = [f"{a:%H:%M}-{b:%H:%M}" for a, b in pairs]
    try:
        hours = parse_working_hours(spec)
    except ValueError:
        assume(False)
    windows = []
    for i in range(draw(st.integers(min_value=0, max_value=6))):
        start = draw(instants).astimezone(tz)
        length = timedelta(minutes=15 * draw(st.integers(min_value=1, max_value=4 * 24 * 20)))
        kind = draw(st.sampled_from([OFF, REDUCED]))
        slots = tuple(DailyInterval(a, b) for a, b in draw(
            st.lists(st.tuples(quarter_hours, quarter_hours).filter(lambda p: p[0] != p[1]),
                     max_size=2))) if kind is REDUCED else ()
        response = draw(st.none() | st.integers(min_value=1, max_value=4 * 30).map(
            lambda q: timedelta(minutes=15 * q)))
        windows.append(Window(id=f"w{i}", kind=kind, starts_at=start, ends_at=start + length,
                              source=draw(st.sampled_from(list(WindowSource))),
                              reply_slots=slots, response_time=response))
    response = timedelta(minutes=draw(st.integers(min_value=1, max_value=60 * 30)))
    return Policy(timezone=tz, working_hours=hours, response_time=response,
                  windows=tuple(windows))


def describe(p: Policy) -> str:
    windows = [f"{x.kind} {x.source} {u(x.starts_at)}–{u(x.ends_at)} slots="
               f"{[f'{i.start:%H:%M}-{i.end:%H:%M}' for i in x.reply_slots]} rt={x.response_time}"
               for x in p.windows]
    return (f"{p.timezone.key} {working_hours_to_spec(p.working_hours)} rt={p.response_time} "
            f"windows={windows}")


def reference_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """An independent, slow model of the local-time rule: fold=0, gaps → after the jump."""
    wall = datetime.combine(day, clock)
    guess = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if guess.astimezone(tz).replace(tzinfo=None) == wall:
        return guess
    t = (wall - timedelta(hours=3)).replace(tzinfo=UTC) - timedelta(hours=14)
    while t.astimezone(tz).replace(tzinfo=None) < wall:
        t += timedelta(minutes=1)
    while (t - timedelta(seconds=1)).astimezone(tz).replace(tzinfo=None) >= wall:
        t -= timedelta(seconds=1)
    return t


def reference_state(p: Policy, t: datetime) -> tuple[Status, bool]:
    """Status and working-ness at ``t`` straight from the definitions, without any index."""
    inside = [x for x in p.windows if x.starts_at <= t < x.ends_at]
    counted = [x for x in inside if x.source is MANUAL] or inside
    kinds = {x.kind for x in counted}
    if OFF in kinds:
        return Status.OFF, False
    slots = {s for x in counted for s in x.reply_slots}  # callers ensure one slot set
    local_day = t.astimezone(p.timezone).date()
    working = False
    for day in (local_day - timedelta(days=1), local_day):
        for iv in slots or p.working_hours.on(day.weekday()):
            start = reference_local(day, iv.start, p.timezone)
            end_day = day + timedelta(days=1) if iv.crosses_midnight else day
            if start <= t < reference_local(end_day, iv.end, p.timezone):
                working = True
    if REDUCED in kinds:
        return Status.REDUCED, working
    return (Status.AVAILABLE if working else Status.OUTSIDE_HOURS), working


def single_slot_sets(p: Policy, t: datetime) -> bool:
    inside = [x for x in p.windows if x.starts_at <= t < x.ends_at]
    counted = [x for x in inside if x.source is MANUAL] or inside
    return len({x.reply_slots for x in counted if x.kind is REDUCED}) <= 1


@settings(max_examples=200, deadline=None)
@given(policies(), instants)
def test_properties(p: Policy, at: datetime) -> None:
    note(describe(p))
    try:
        back = u(av.back_at(p, at))
        reply = u(av.reply_by(p, at))
    except av.NoWorkingTime:
        return
    assert at <= back <= reply
    snap = av.status_at(p, back)
    assert snap.status in (Status.AVAILABLE, Status.REDUCED) and snap.working
    assert list(av.working_segments(p, at, back)) == []  # nothing skipped before back_at
    just_before = av.status_at(p, reply - timedelta(microseconds=1))
    assert just_before.status is not Status.OFF and just_before.working
    worked = sum((e - s for s, e in av.working_segments(p, back, reply)), timedelta(0))
    # The working time counted is the response time, except that a message reaching a reply
    # slot is answered in that slot: then reply_by is the slot's end, and less was counted.
    assert worked <= av.response_time_at(p, at)
    if worked < av.response_time_at(p, at):
        assert just_before.window is not None and just_before.window.reply_slots


@settings(max_examples=200, deadline=None)
@given(policies(), instants)
def test_timing_is_status_back_at_and_reply_by_at_once(p: Policy, at: datetime) -> None:
    # timing() derives "working" from back_at == at instead of looking again: the same
    # answers as the three separate functions, or the same NoWorkingTime.
    for t in (at, at + timedelta(minutes=7, seconds=30), u(at).replace(minute=0, second=0)):
        try:
            expected = (av.status_at(p, t), u(av.back_at(p, t)), u(av.reply_by(p, t)))
        except av.NoWorkingTime:
            with pytest.raises(av.NoWorkingTime):
                av.timing(p, t)
            continue
        snapshot, back, reply = av.timing(p, t)
        assert (snapshot, u(back), u(reply)) == expected
        assert back.tzinfo == reply.tzinfo == p.timezone


@settings(max_examples=150, deadline=None)
@given(policies(), instants,
       st.lists(st.integers(min_value=-3 * 24 * 60, max_value=6 * 24 * 60), min_size=1,
                max_size=12))
def test_timing_remembers_an_idle_stretch_only_where_the_answer_is_the_same(
        p: Policy, at: datetime, minutes: list[int]) -> None:
    # One policy asked about many instants (as a batch of messages does), in any order,
    # answers each exactly as a fresh copy of the policy asked about that instant alone.
    for t in [at, *(at + timedelta(minutes=m, seconds=m % 7) for m in minutes)]:
        fresh = Policy(timezone=p.timezone, working_hours=p.working_hours,
                       response_time=p.response_time, windows=p.windows)
        try:
            expected = av.timing(fresh, t)
        except av.NoWorkingTime:
            with pytest.raises(av.NoWorkingTime):
                av.timing(p, t)
            continue
        snapshot, back, reply = av.timing(p, t)
        assert (snapshot, u(back), u(reply)) == (expected[0], u(expected[1]), u(expected[2]))
        assert back.tzinfo == reply.tzinfo == p.timezone


@settings(max_examples=150, deadline=None)
@given(policies(), instants)
def test_status_matches_the_definition(p: Policy, at: datetime) -> None:
    for t in (at, at + timedelta(minutes=7, seconds=30)):
        snap = av.status_at(p, t)
        assert snap.working == (snap.status is Status.AVAILABLE or (
            snap.status is Status.REDUCED and snap.working))
        if single_slot_sets(p, t):
            assert (snap.status, snap.working) == reference_state(p, t)


@settings(max_examples=100, deadline=None)
@given(policies(), instants)
def test_next_change_is_the_first_change(p: Policy, at: datetime) -> None:
    change = av.next_change(p, at)
    state = av.status_at(p, at)
    if change is None:
        return
    assert change > at
    change = change.astimezone(UTC)  # subtract on absolute time, not on the wall clock
    before = av.status_at(p, change - timedelta(microseconds=1))
    after = av.status_at(p, change)
    assert (before.status, before.working) == (state.status, state.working)
    assert (after.status, after.working) != (state.status, state.working)


@settings(max_examples=40, deadline=None)
@given(policies(), instants, st.randoms(use_true_random=False))
def test_window_order_does_not_matter(p: Policy, at: datetime, rng: random.Random) -> None:
    shuffled = list(p.windows)
    rng.shuffle(shuffled)
    q = Policy(timezone=p.timezone, working_hours=p.working_hours,
               response_time=p.response_time, windows=tuple(shuffled))
    assert av.status_at(p, at).status == av.status_at(q, at).status
    assert maybe_u(av.next_change(p, at)) == maybe_u(av.next_change(q, at))
    try:
        expected = (u(av.back_at(p, at)), u(av.reply_by(p, at)))
    except av.NoWorkingTime:
        return
    assert (u(av.back_at(q, at)), u(av.reply_by(q, at))) == expected


@settings(max_examples=25, deadline=None)
@given(policies(), instants, st.sampled_from(["UTC", "Asia/Tokyo", "America/Los_Angeles",
                                              "Africa/Casablanca"]))
def test_results_do_not_depend_on_the_process_timezone(p: Policy, at: datetime,
                                                        process_tz: str) -> None:
    def answers() -> tuple[object, ...]:
        try:
            return (av.status_at(p, at), u(av.back_at(p, at)), u(av.reply_by(p, at)),
                    maybe_u(av.next_change(p, at)))
        except av.NoWorkingTime:
            return (av.status_at(p, at), "none", maybe_u(av.next_change(p, at)))

    expected = answers()
    old = os.environ.get("TZ")
    os.environ["TZ"] = process_tz
    systime.tzset()
    try:
        av._local.cache_clear()
        av._prepared.clear()
        assert answers() == expected
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        systime.tzset()
