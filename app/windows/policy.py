"""An owner's policy (``app.domain.model.Policy``): their week, response time and the
windows around an instant, stored or computed, as the pure domain takes them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from app import clock, validation
from app.domain import hours
from app.domain.model import DailyInterval, Policy, Window, WindowKind, WindowSource
from app.owners.models import Owner
from app.windows import repository
from app.windows.computed import horizon, rule_windows
from app.windows.models import WindowRow

LOOKBEHIND = timedelta(days=1)
LOOKAHEAD = timedelta(days=200)


def to_domain(row: WindowRow) -> Window:
    return Window(
        id=row.id,
        kind=WindowKind(row.kind),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        source=WindowSource(row.source),
        occasion=row.occasion,
        title=row.title or {},
        tentative=row.tentative,
        earliest_start=row.earliest_start,
        latest_start=row.latest_start,
        earliest_end=row.earliest_end,
        latest_end=row.latest_end,
        move_chance=row.move_chance,
        reply_slots=_slots(row.reply_slots),
        response_time=hours.parse_duration(row.response_time) if row.response_time else None,
        notice_days=row.notice_days,
    )


def _slots(values: list[str] | None) -> tuple[DailyInterval, ...]:
    return tuple(hours.parse_daily_interval(v) for v in values or ())


@lru_cache(maxsize=4096)
def _weekly(owner_id: str, updated_at: datetime, tz: str, spec: str,
            response_time: str) -> tuple[Any, Any, timedelta]:
    return (validation.zone(tz), hours.parse_working_hours(json.loads(spec)),
            hours.parse_duration(response_time))


def policy_of(session: Session, owner: Owner, at: datetime, *,
              until: datetime | None = None) -> Policy:
    """The owner's policy around ``at`` (to ``until``): a bounded slice of windows, whatever
    the history."""
    start, end = at - LOOKBEHIND, (until or at) + LOOKAHEAD
    return _policy(session, owner, start, end, repository.around(session, owner.id, start, end))


def policies_of(session: Session, owners: Sequence[Owner], at: datetime) -> dict[str, Policy]:
    """``policy_of`` for many owners at one instant, by owner id: their windows read with a
    statement per 500 owners."""
    start, end = at - LOOKBEHIND, at + LOOKAHEAD
    rows = repository.around_many(session, [owner.id for owner in owners], start, end)
    return {owner.id: _policy(session, owner, start, end, rows.get(owner.id, []))
            for owner in owners}


def _policy(session: Session, owner: Owner, start: datetime, end: datetime,
            rows: list[Any]) -> Policy:
    tz, weekly, response_time = _weekly(owner.id, owner.updated_at, owner.timezone,
                                        json.dumps(owner.working_hours, sort_keys=True),
                                        owner.response_time)
    rows = rows + _computed_beyond_horizon(session, owner, start, end, {r.id for r in rows})
    return Policy(timezone=tz, working_hours=weekly, response_time=response_time,
                  windows=tuple(to_domain(r) for r in rows))


def _computed_beyond_horizon(session: Session, owner: Owner, start: datetime, end: datetime,
                             stored: set[str]) -> list[Any]:
    """Rule windows are stored for the coming months only; past that, compute them."""
    today = clock.now().date()
    first, last = horizon(today)
    tz = validation.zone(owner.timezone)
    if start.astimezone(tz).date() >= first and end.astimezone(tz).date() <= last:
        return []
    made = rule_windows(session, owner, start.astimezone(tz).date(), end.astimezone(tz).date(),
                        today=today)
    return [m.row for m in made
            if m.row.id not in stored and m.row.ends_at > start and m.row.starts_at < end]
