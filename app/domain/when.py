"""One answer to "when": when the owner is back, when the client can expect an answer, and
how sure that is — the reply, the decision, the public page, ``status.json``, the ``.ics``
feed, the digest and the console all read it from :func:`expect`.

The possible range is spoken only when it changes the day the owner is back: a tentative
Eid break that may end on Friday or on Saturday, for an owner whose weekend is Friday and
Saturday, has one return day (Sunday), so the reply says "back on Sunday" and no range.
It is spoken only when the other day has a real chance, too: a window whose ``move_chance``
is under :data:`SPOKEN_CHANCE` is planned and told on its likeliest days alone ("back on
Tuesday"), and the correction after the sighting reaches the few it turns out wrong for;
from that chance on the reply says "back on Tuesday (likely) or Wednesday". A window whose
chance is not quantified (``None``: a published estimate) keeps its range.
The edges of the range are the first working instants after the window's earliest and
latest possible ends, by the owner's weekly hours (another window right after the break
is not assumed to move with it).

Pure; instants are timezone-aware, answers are in the owner's timezone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.domain import availability
from app.domain.model import Policy, Status, Window, WindowKind, WorkingHours

# The chance from which the other possible day is spoken beside the likely one ("back on
# Tuesday (likely) or Wednesday"); below it a client is told the likely day alone.
SPOKEN_CHANCE = 0.2


@dataclass(frozen=True, slots=True)
class When:
    """What a client is told about time, at one instant; every instant in the owner's zone.

    ``away_for`` is the off window the owner's return waits for (the window in force, or the
    break that starts before the owner is next working: "offline now, and away for Eid from
    Saturday"), or None.
    """

    at: datetime
    status: Status
    window: Window | None
    back_at: datetime
    reply_by: datetime
    tentative: bool
    earliest_back: datetime | None  # only when the range changes the day of return
    latest_back: datetime | None
    away_for: Window | None

    @property
    def back_now(self) -> bool:
        """The owner is working at this instant (``back_at`` is the instant itself)."""
        return self.back_at <= self.at

    @property
    def range_matters(self) -> bool:
        return self.earliest_back is not None and self.latest_back is not None


@lru_cache(maxsize=256)
def _weekly_only(tz: ZoneInfo, hours: WorkingHours, response_time: timedelta) -> Policy:
    # One object per owner's weekly hours, so availability's index of it is reused.
    return Policy(timezone=tz, working_hours=hours, response_time=response_time)


def _first_working(policy: Policy, at: datetime) -> datetime:
    weekly = _weekly_only(policy.timezone, policy.working_hours, policy.response_time)
    return availability.back_at(weekly, at)


def _returns_after(policy: Policy, at: datetime, back_at: datetime) -> Window | None:
    """The off window that keeps the owner away from ``at`` until ``back_at``."""
    found = [w for w in policy.windows if w.kind is WindowKind.OFF
             and w.starts_at < back_at and w.ends_at > at and w.ends_at <= back_at]
    return max(found, key=lambda w: w.ends_at) if found else None


def expect(policy: Policy, at: datetime) -> When:
    """Back-at, reply-by and the possible range at ``at`` (timezone-aware).

    Raises ValueError for a naive instant and ``availability.NoWorkingTime`` when the policy
    has no working time within the horizon.
    """
    snapshot, back_at, reply_by = availability.timing(policy, at)
    tz = policy.timezone
    away = snapshot.window if (snapshot.window is not None
                               and snapshot.window.kind is WindowKind.OFF) else None
    if away is None and not snapshot.working:
        away = _returns_after(policy, at, back_at)
    earliest = latest = None
    tentative = bool(away is not None and away.tentative)
    if (away is not None and away.tentative and away.earliest_end is not None
            and away.latest_end is not None and away.earliest_end != away.latest_end
            and (away.move_chance is None or away.move_chance >= SPOKEN_CHANCE)):
        low = _first_working(policy, max(at, away.earliest_end)).astimezone(tz)
        high = _first_working(policy, max(at, away.latest_end)).astimezone(tz)
        back_day = back_at.astimezone(tz).date()
        low_day, high_day = min(low.date(), back_day), max(high.date(), back_day)
        if low_day != high_day:
            earliest = min(low, back_at.astimezone(tz))
            latest = max(high, back_at.astimezone(tz))
    if snapshot.window is not None and snapshot.window.tentative:
        tentative = True
    return When(at=at.astimezone(tz), status=snapshot.status, window=snapshot.window,
                back_at=back_at.astimezone(tz), reply_by=reply_by.astimezone(tz),
                tentative=tentative, earliest_back=earliest, latest_back=latest,
                away_for=away)
