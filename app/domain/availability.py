"""When an owner works: the status at an instant, the next change, when they are back, and
when a client can expect an answer.

Every public function takes a :class:`~app.domain.model.Policy` and a timezone-aware
instant (a naive one raises ValueError). :func:`back_at`, :func:`reply_by` and
:func:`next_change` answer in the owner's timezone, for display; :func:`working_segments`
answers in UTC, for arithmetic. Python subtracts and compares two datetimes of one zone by
wall clock, and an ambiguous local time (``fold=1``) compares unequal to every other zone
(PEP 495): do arithmetic and equality on ``.astimezone(UTC)``.

Precedence at an instant — the *effective* window:

- windows are half-open, ``[starts_at, ends_at)``; only those containing the instant count
  (a window whose end is not after its start never does);
- if any **manual** window contains it, only the manual windows count: an owner who adds a
  manual ``reduced`` window over a rule's Eid ``off`` window is working that Eid;
- among the counted windows ``off`` beats ``reduced``; among equals the one ending last
  (then starting last, then the greater id) is reported;
- with no window, the weekly working hours decide.

Working time:

- inside an effective ``off`` window: none;
- inside an effective ``reduced`` window with ``reply_slots``: only the slots — daily times
  in the owner's timezone, on every day, possibly past midnight, clipped to the window;
- inside a ``reduced`` window without slots, and outside windows: the weekly hours (an
  interval starting Thursday 22:00 and ending 02:00 covers Friday 00:00–02:00).

Status: ``off`` / ``reduced`` inside an effective window of that kind, otherwise
``available`` in working time and ``outside_hours`` outside it.

Response time (for :func:`reply_by`): the ``response_time`` of the window effective at
``at`` if it has one (so an Eid ``off`` window can say "replies within two days after the
break"), else that of the window effective at :func:`back_at`, else the owner's.
Inside a ``reduced`` window with reply slots the owner answers in the slot they are back
in: ``reply_by`` is ``back_at`` plus the response time, at the latest the end of that
slot (a Ramadan slot of 20:00–21:00 with a response time of 8 hours answers by 21:00,
not eight evenings later).

Local time is exact across daylight-saving changes: each local time is built per calendar
day with ``zoneinfo`` and every duration is measured on absolute (UTC) time, so nothing
depends on the process's ``TZ``. A local time that does not exist (the clock jumps over
it) is taken as the first instant after the jump, so an interval starting in the gap
starts when the clock jumps; an ambiguous local time (the clock goes back) is its first
occurrence (``fold=0``), so ``00:00-04:00`` on a fall-back night holds five real hours.

Searches stop at :data:`HORIZON` (400 days); with no working time in it, :func:`back_at`
and :func:`reply_by` raise :class:`NoWorkingTime`.

Cost: a policy's windows are indexed once (sorted by start; cached for the last few
policy objects), so one call costs O(log n + windows and days it walks through).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain
from operator import attrgetter
from zoneinfo import ZoneInfo

from app.domain.model import DailyInterval, Policy, Status, Window, WindowKind, WindowSource

HORIZON = timedelta(days=400)
_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)
_LONG = timedelta(days=62)  # windows longer than this are kept aside, scanned separately
_CACHE_SIZE = 32

_MANUAL, _OFF = WindowSource.MANUAL, WindowKind.OFF
Segment = tuple[datetime, datetime]


def _first(item: tuple[datetime, datetime, Window]) -> datetime:
    return item[0]


class NoWorkingTime(ValueError):
    """No working time (or not enough for the response time) within :data:`HORIZON`."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The state at one instant: its status, the effective window, whether it is working."""

    status: Status
    window: Window | None
    working: bool


def _utc(at: datetime, name: str = "at") -> datetime:
    """``at`` in UTC. Python adds and compares datetimes of one zone by wall clock, which is
    wrong across a DST change, so all arithmetic happens in UTC."""
    if not isinstance(at, datetime) or at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"'{name}' must be a timezone-aware datetime, got {at!r}")
    return at.astimezone(UTC)


@lru_cache(maxsize=16384)
def _local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of the local wall time ``clock`` on ``day`` (see module docstring)."""
    wall = datetime.combine(day, clock)
    before = wall.replace(tzinfo=tz).utcoffset()
    after = wall.replace(tzinfo=tz, fold=1).utcoffset()
    assert before is not None and after is not None
    if after <= before:  # an ordinary time, or an ambiguous one (fold=0: first occurrence)
        return (wall - before).replace(tzinfo=UTC)
    # In a gap: the jump happens between ``wall - after`` and ``wall - before``; find the
    # second (tzdata transitions are whole seconds) where the offset becomes ``after``.
    lo = (wall - after).replace(tzinfo=UTC, microsecond=0)
    steps = int((after - before).total_seconds()) + 1
    low, high = 0, steps
    while low < high:
        mid = (low + high) // 2
        if (lo + timedelta(seconds=mid)).astimezone(tz).utcoffset() == after:
            high = mid
        else:
            low = mid + 1
    return lo + timedelta(seconds=low)


class PreparedPolicy:
    """A policy with its windows indexed for O(log n) lookups; build it with :func:`prepare`."""

    __slots__ = ("policy", "tz", "hours", "windows", "starts", "ends", "long", "short_max",
                 "idle")

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        # The last idle stretch :func:`timing` walked: (from, back_at, the effective window
        # from there, the answer). See there.
        self.idle: tuple[datetime, datetime, Window | None,
                         tuple[Snapshot, datetime, datetime]] | None = None
        self.tz = policy.timezone
        self.hours = policy.working_hours.days
        timed = []
        for w in policy.windows:
            try:
                start, end = w.starts_at.astimezone(UTC), w.ends_at.astimezone(UTC)
            except (AttributeError, TypeError):
                start, end = _utc(w.starts_at, f"window {w.id} starts_at"), _utc(
                    w.ends_at, f"window {w.id} ends_at")
            if w.starts_at.tzinfo is None or w.ends_at.tzinfo is None:
                raise ValueError(f"window {w.id}: starts_at and ends_at must be timezone-aware")
            if end > start:
                timed.append((start, end, w))
        timed.sort(key=_first)
        self.windows: list[Window] = [t[2] for t in timed]
        self.starts: list[datetime] = [t[0] for t in timed]
        self.ends: list[datetime] = [t[1] for t in timed]
        self.long: list[int] = []
        self.short_max = timedelta(0)
        for i, (start, end, _w) in enumerate(timed):
            if end - start > _LONG:
                self.long.append(i)
            elif end - start > self.short_max:
                self.short_max = end - start

    def active_at(self, t: datetime) -> list[int]:
        """Indices of the windows containing the UTC instant ``t``."""
        first = bisect_right(self.starts, t - self.short_max)
        last = bisect_right(self.starts, t)
        found = [i for i in range(first, last) if self.ends[i] > t]
        found += [i for i in self.long if i < first and self.ends[i] > t]
        return found

    def effective(self, active: Sequence[int]) -> Window | None:
        """The window deciding the status among ``active`` (see precedence above)."""
        if not active:
            return None
        if len(active) == 1:
            return self.windows[active[0]]
        return self.windows[max(active, key=self._rank)]

    def _rank(self, i: int) -> tuple[bool, bool, datetime, datetime, str]:
        w = self.windows[i]
        return w.source is _MANUAL, w.kind is _OFF, self.ends[i], self.starts[i], w.id

    def regimes(self, start: datetime, stop: datetime) -> Iterator[tuple[datetime, datetime,
                                                                         Window | None]]:
        """Consecutive ``(from, to, effective window)`` spans covering ``[start, stop)``."""
        active = self.active_at(start)
        pointer = bisect_right(self.starts, start)
        count = len(self.starts)
        cur = start
        span_start, span_window = start, self.effective(active)
        while cur < stop:
            nxt = stop
            if pointer < count and self.starts[pointer] < nxt:
                nxt = self.starts[pointer]
            for i in active:
                if self.ends[i] < nxt:
                    nxt = self.ends[i]
            cur = nxt
            active = [i for i in active if self.ends[i] > cur]
            while pointer < count and self.starts[pointer] <= cur:
                if self.ends[pointer] > cur:
                    active.append(pointer)
                pointer += 1
            window = self.effective(active)
            if cur >= stop or window is not span_window:
                yield span_start, cur, span_window
                span_start, span_window = cur, window

    def _daily(self, by_weekday: Sequence[Sequence[DailyInterval]], start: datetime,
               stop: datetime) -> Iterator[Segment]:
        """The intervals starting each day (``by_weekday[date.weekday()]``, local times) as
        UTC instants, clipped to ``[start, stop)``, in order."""
        tz = self.tz
        day = start.astimezone(tz).date() - _DAY
        last = stop.astimezone(tz).date()
        while day <= last:
            for interval in by_weekday[day.weekday()]:
                s = _local(day, interval.start, tz)
                if s >= stop:
                    return
                e = _local(day + _DAY if interval.crosses_midnight else day, interval.end, tz)
                if e > start and e > s:
                    yield max(s, start), min(e, stop)
            day += _DAY

    def pieces(self, start: datetime, stop: datetime) -> Iterator[tuple[datetime, datetime,
                                                                        Window | None]]:
        """Working time in ``[start, stop)`` as ``(from, to, effective window)``, in order;
        pieces may touch (a day's end and the next day's start) but never overlap."""
        weekly = self.hours
        for a, b, window in self.regimes(start, stop):
            if window is not None and window.kind is WindowKind.OFF:
                continue
            if window is not None and window.reply_slots:
                slots = tuple(sorted(window.reply_slots, key=attrgetter("start")))
                source = self._daily((slots,) * 7, a, b)  # the same slots every day
            else:
                source = self._daily(weekly, a, b)
            last_end = a
            for s, e in source:
                s = max(s, last_end)  # overlapping reply slots count once
                if e > s:
                    yield s, e, window
                    last_end = e

    def segments(self, start: datetime, stop: datetime) -> Iterator[Segment]:
        """Working time in ``[start, stop)`` as maximal, disjoint, ordered UTC spans."""
        return _merged(self.pieces(start, stop))

    def is_working(self, t: datetime) -> bool:
        return next(self.pieces(t, t + _TICK), None) is not None

    def state(self, t: datetime) -> tuple[Status, Window | None, bool]:
        window = self.effective(self.active_at(t))
        working = self.is_working(t)
        return _status(window, working), window, working


def _status(window: Window | None, working: bool) -> Status:
    if window is not None:
        return Status.OFF if window.kind is WindowKind.OFF else Status.REDUCED
    return Status.AVAILABLE if working else Status.OUTSIDE_HOURS


_prepared: OrderedDict[int, PreparedPolicy] = OrderedDict()
_prepared_lock = threading.Lock()


def prepare(policy: Policy) -> PreparedPolicy:
    """The indexed form of ``policy``, cached for the last few policy objects (by identity,
    holding a reference so the identity cannot be reused). Policies are immutable."""
    key = id(policy)
    with _prepared_lock:
        hit = _prepared.get(key)
        if hit is not None and hit.policy is policy:
            _prepared.move_to_end(key)
            return hit
    built = PreparedPolicy(policy)
    with _prepared_lock:
        _prepared[key] = built
        _prepared.move_to_end(key)
        while len(_prepared) > _CACHE_SIZE:
            _prepared.popitem(last=False)
    return built


def working_segments(policy: Policy, start: datetime,
                     end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working time within ``[start, end)``: maximal, disjoint ``(from, to)`` pairs in
    order, as UTC instants (so ``to - from`` is the real duration). Raises ValueError for
    naive instants."""
    yield from prepare(policy).segments(_utc(start, "start"), _utc(end, "end"))


def status_at(policy: Policy, at: datetime) -> Snapshot:
    """The status at ``at``, the effective window and whether ``at`` is working time."""
    status, window, working = prepare(policy).state(_utc(at))
    return Snapshot(status, window, working)


def _back_at(p: PreparedPolicy, at: datetime) -> tuple[datetime, Window | None]:
    for s, _e, window in p.pieces(at, at + HORIZON):
        return s, window
    raise NoWorkingTime(f"no working time within {HORIZON.days} days of {at.isoformat()}: "
                        "check the working hours, reply slots and off windows")


def back_at(policy: Policy, at: datetime) -> datetime:
    """When the owner is next working: ``at`` itself if working now, else the first working
    instant after it. In the owner's timezone. Raises NoWorkingTime past the horizon."""
    p = prepare(policy)
    return _back_at(p, _utc(at))[0].astimezone(p.tz)


def response_time_at(policy: Policy, at: datetime) -> timedelta:
    """The response time that applies to a message arriving at ``at`` (module docstring)."""
    p = prepare(policy)
    return _response_time(p, _utc(at), *_back_at(p, _utc(at)))


def _response_time(p: PreparedPolicy, at: datetime, back: datetime,
                   window_at_back: Window | None) -> timedelta:
    now = p.effective(p.active_at(at))
    if now is not None and now.response_time is not None:
        return now.response_time
    if window_at_back is not None and window_at_back.response_time is not None:
        return window_at_back.response_time
    return p.policy.response_time


def reply_by(policy: Policy, at: datetime) -> datetime:
    """When the client can expect an answer, in the owner's timezone.

    ``back_at`` plus the response time counted in working time only: the working time in
    ``[back_at, reply_by]`` equals the response time and the instant just before
    ``reply_by`` is working time (so it never falls in an off window, a night or a
    weekend). A zero response time gives ``back_at``. Raises NoWorkingTime when the
    horizon does not hold enough working time.
    """
    p = prepare(policy)
    at = _utc(at)
    return _reply_by(p, at, *_back_at(p, at)).astimezone(p.tz)


def _reply_by(p: PreparedPolicy, at: datetime, back: datetime,
              window_at_back: Window | None) -> datetime:
    remaining = _response_time(p, at, back, window_at_back)
    if remaining <= timedelta(0):
        return back
    for s, e, w in p.pieces(back, back + HORIZON):
        if w is not None and w.reply_slots:
            # A reply slot is when the owner answers: a message waiting for one is answered
            # in it, whatever the response time (8 hours in one-hour slots is not 8 days).
            return min(s + remaining, e)
        if e - s >= remaining:
            return s + remaining
        remaining -= e - s
    raise NoWorkingTime(f"not {remaining} of working time within {HORIZON.days} days of "
                        f"{back.isoformat()}: check the working hours and the response time")


def timing(policy: Policy, at: datetime) -> tuple[Snapshot, datetime, datetime]:
    """``status_at``, ``back_at`` and ``reply_by`` at one instant (what a decision needs),
    finding the next working instant once for all three: ``at`` is working time exactly
    when it is its own ``back_at``. Raises NoWorkingTime as ``reply_by`` does."""
    p = prepare(policy)
    at = _utc(at)
    window = p.effective(p.active_at(at))
    idle = p.idle
    # Every instant of an idle stretch [start, back) with the same effective window has the
    # same answer: the same next working instant, and the response time depends only on the
    # windows effective now and then. During a break every message asks about the same
    # stretch, so the search runs once per policy, not once per message.
    if idle is not None and idle[0] <= at < idle[1] and idle[2] is window:
        return idle[3]
    back, window_at_back = _back_at(p, at)
    working = back == at
    answer = (Snapshot(_status(window, working), window, working), back.astimezone(p.tz),
              _reply_by(p, at, back, window_at_back).astimezone(p.tz))
    if not working:
        p.idle = (at, back, window, answer)
    return answer


def next_change(policy: Policy, at: datetime) -> datetime | None:
    """The first instant after ``at`` when the status or working-ness changes (in the
    owner's timezone), or None if nothing changes within the horizon."""
    p = prepare(policy)
    at = _utc(at)
    status, _window, working = p.state(at)
    current = (status, working)
    for a, b, window in p.regimes(at, at + HORIZON):
        spans = _merged(p.pieces(a, b))
        first = next(spans, None)
        is_working = first is not None and first[0] == a
        if a > at and (_status(window, is_working), is_working) != current:
            return a.astimezone(p.tz)
        if first is None:
            continue
        for s, e in chain((first,), spans):  # the working edges inside the regime
            for edge, now_working in ((s, True), (e, False)):
                if a < edge < b and edge > at and (
                        (_status(window, now_working), now_working) != current):
                    return edge.astimezone(p.tz)
    return None


def _merged(pieces: Iterator[tuple[datetime, datetime, Window | None]]) -> Iterator[Segment]:
    pending: Segment | None = None
    for s, e, _w in pieces:
        if pending is not None and s <= pending[1]:
            pending = (pending[0], e)
            continue
        if pending is not None:
            yield pending
        pending = (s, e)
    if pending is not None:
        yield pending
