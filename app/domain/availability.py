"""When an owner works: status at an instant, the next change, when they are back, and when
a client can expect an answer.

All functions take a :class:`~app.domain.model.Policy` and a timezone-aware ``at`` (a naive
``at`` raises ValueError). Local times are built per day in the owner's IANA timezone with
``zoneinfo``; durations are measured on absolute time, so results are exact across
daylight-saving changes and do not depend on the process's ``TZ``.

Precedence at an instant (the *effective* window):
- if any **manual** window contains the instant, only manual windows count (an owner who
  adds a manual ``reduced`` window over a rule's Eid ``off`` window is working that Eid);
- among the counted windows ``off`` beats ``reduced``;
- with no window, the weekly working hours apply.

Working time:
- inside an effective ``off`` window: none;
- inside an effective ``reduced`` window with ``reply_slots``: only the slots (daily times,
  every day of the window, midnight-crossing allowed);
- inside a ``reduced`` window without slots, or outside windows: the weekly hours.

Local times that do not exist (the clock jumps forward over them) start at the first
instant that exists after them; ambiguous local times (the clock goes back) use their
first occurrence (``fold=0``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain.model import DailyInterval, Policy, Status, Window, WindowKind, WindowSource

HORIZON = timedelta(days=400)
_DAY = timedelta(days=1)


class NoWorkingTime(ValueError):
    """No working time exists within the horizon (e.g. no working hours at all)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    status: Status
    window: Window | None
    working: bool


def _check(at: datetime) -> datetime:
    """``at`` in UTC. All arithmetic happens in UTC: Python adds and compares datetimes of
    one zone by wall clock, which is wrong across a DST change."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("'at' must be timezone-aware")
    return at.astimezone(UTC)


def _local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The instant a local wall-clock time happens on ``day`` (see the module docstring)."""
    wall = datetime.combine(day, clock)
    first = wall.replace(tzinfo=tz, fold=0)
    back = first.astimezone(UTC).astimezone(tz)
    if back.replace(tzinfo=None) == wall:
        return first.astimezone(UTC)
    # A gap: find the moment the clock jumps (the first existing local time after ``wall``).
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = first.astimezone(UTC)
    if lo > hi:
        lo, hi = hi, lo
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0)


def _effective(windows: Sequence[Window]) -> Window | None:
    if not windows:
        return None
    manual = [w for w in windows if w.source is WindowSource.MANUAL]
    counted = manual or list(windows)
    off = [w for w in counted if w.kind is WindowKind.OFF]
    pool = off or counted
    return max(pool, key=lambda w: (w.ends_at, w.starts_at))


def _touching(policy: Policy, start: datetime, end: datetime) -> list[Window]:
    return [w for w in policy.windows if w.ends_at > start and w.starts_at < end]


def _regimes(policy: Policy, start: datetime,
             end: datetime) -> Iterator[tuple[datetime, datetime, Window | None]]:
    """Consecutive spans of ``[start, end)`` with one effective window (or none) each."""
    windows = _touching(policy, start, end)
    points = {start, end}
    for w in windows:
        if start < w.starts_at < end:
            points.add(w.starts_at)
        if start < w.ends_at < end:
            points.add(w.ends_at)
    ordered = sorted(points)
    for a, b in zip(ordered, ordered[1:], strict=False):
        active = [w for w in windows if w.starts_at <= a < w.ends_at]
        yield a, b, _effective(active)


def _daily(intervals_for: object, tz: ZoneInfo, start: datetime,
           end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Concrete instants of daily intervals overlapping ``[start, end)``, clipped."""
    day = start.astimezone(tz).date() - _DAY
    last = end.astimezone(tz).date()
    while day <= last:
        for interval in intervals_for(day):  # type: ignore[operator]
            s = _local(day, interval.start, tz)
            e = _local(day + _DAY if interval.crosses_midnight else day, interval.end, tz)
            if e <= start or s >= end:
                continue
            yield max(s, start), min(e, end)
        day += _DAY


def working_segments(policy: Policy, start: datetime,
                     end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working time within ``[start, end)`` as ordered, non-touching ``(from, to)`` pairs
    (UTC instants)."""
    start, end = _check(start), _check(end)
    tz = policy.timezone
    weekly = policy.working_hours

    def hours_on(day: date) -> tuple[DailyInterval, ...]:
        return weekly.on(day.weekday())

    pending: tuple[datetime, datetime] | None = None
    for a, b, window in _regimes(policy, start, end):
        if window is not None and window.kind is WindowKind.OFF:
            continue
        if window is not None and window.reply_slots:
            slots = window.reply_slots

            def source(_day: date, slots: tuple[DailyInterval, ...] = slots) -> tuple[DailyInterval, ...]:
                return slots
        else:
            source = hours_on
        for s, e in sorted(_daily(source, tz, a, b)):
            if pending is None:
                pending = (s, e)
            elif s <= pending[1]:
                pending = (pending[0], max(pending[1], e))
            else:
                yield pending
                pending = (s, e)
    if pending is not None:
        yield pending


def _segments_from(policy: Policy, at: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working segments from ``at`` on, in chunks so the common case stays cheap."""
    chunk = timedelta(days=14)
    start = at
    carry: tuple[datetime, datetime] | None = None
    while start < at + HORIZON:
        stop = min(start + chunk, at + HORIZON)
        for seg in working_segments(policy, start, stop):
            if carry is not None and seg[0] <= carry[1]:
                carry = (carry[0], seg[1])
                continue
            if carry is not None:
                yield carry
            carry = seg
        start = stop
        chunk *= 2
    if carry is not None:
        yield carry


def effective_window(policy: Policy, at: datetime) -> Window | None:
    """The window that decides the status at ``at`` (see precedence above)."""
    at = _check(at)
    return _effective([w for w in policy.windows if w.starts_at <= at < w.ends_at])


def status_at(policy: Policy, at: datetime) -> Snapshot:
    """Status at an instant: off / reduced (by window), else available / outside_hours."""
    at = _check(at)
    window = effective_window(policy, at)
    first = next(working_segments(policy, at, at + timedelta(days=2)), None)
    working = first is not None and first[0] == at
    if window is not None and window.kind is WindowKind.OFF:
        return Snapshot(Status.OFF, window, False)
    if window is not None:
        return Snapshot(Status.REDUCED, window, working)
    return Snapshot(Status.AVAILABLE if working else Status.OUTSIDE_HOURS, None, working)


def back_at(policy: Policy, at: datetime) -> datetime:
    """When the owner is next working: ``at`` itself when working now. In the owner's tz."""
    at = _check(at)
    for start, _end in _segments_from(policy, at):
        return start.astimezone(policy.timezone)
    raise NoWorkingTime("no working time within 400 days: check the working hours")


def response_time_at(policy: Policy, at: datetime) -> timedelta:
    window = effective_window(policy, at)
    if window is not None and window.response_time is not None:
        return window.response_time
    return policy.response_time


def reply_by(policy: Policy, at: datetime) -> datetime:
    """``back_at`` plus the response time counted in working time only. In the owner's tz.

    The response time is the effective window's (at ``back_at``) if it has one, else the
    owner's. The result is the instant the accumulated working time reaches it: working
    time in ``[back_at, reply_by]`` equals the response time.
    """
    back = back_at(policy, _check(at)).astimezone(UTC)
    remaining = response_time_at(policy, back)
    for start, end in _segments_from(policy, back):
        if end - start >= remaining:
            return (start + remaining).astimezone(policy.timezone)
        remaining -= end - start
    raise NoWorkingTime("not enough working time within 400 days for the response time")


def next_change(policy: Policy, at: datetime) -> datetime | None:
    """The next instant after ``at`` when the status or working-ness changes (or None)."""
    at = _check(at)
    now = status_at(policy, at)
    candidates: list[datetime] = []
    for start, end in _segments_from(policy, at):
        if start > at:
            candidates.append(start)
            break
        if end > at:
            candidates.append(end)
            break
    for w in policy.windows:
        for edge in (w.starts_at, w.ends_at):
            if edge > at and (not candidates or edge < min(candidates)):
                if status_at(policy, edge).status is not now.status:
                    candidates.append(edge)
    return min(candidates).astimezone(policy.timezone) if candidates else None
