from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from app import clock, validation
from app.domain import hours
from app.domain.model import DailyInterval, Window, WindowKind, WindowSource
from app.errors import Conflict, Invalid, NotFound
from app.owners.models import Owner
from app.windows import repository
from app.windows.models import WindowRow
from app.windows.schemas import WindowCreate, WindowRead, WindowUpdate

HORIZON_MONTHS = 13


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
        reply_slots=_slots(row.reply_slots),
        response_time=hours.parse_duration(row.response_time) if row.response_time else None,
        notice_days=row.notice_days,
    )


def _slots(values: list[str] | None) -> tuple[DailyInterval, ...]:
    return tuple(hours.parse_daily_interval(v) for v in values or ())


def read(row: WindowRow, owner: Owner) -> WindowRead:
    tz = validation.zone(owner.timezone)

    def local(value: datetime | None) -> datetime | None:
        return value.astimezone(tz) if value is not None else None

    return WindowRead(
        id=row.id, kind=row.kind, source=row.source, occasion=row.occasion,
        hijri_year=row.hijri_year, title=row.title or {}, note=row.note,
        starts_at=local(row.starts_at), ends_at=local(row.ends_at), tentative=row.tentative,
        earliest_start=local(row.earliest_start), latest_start=local(row.latest_start),
        earliest_end=local(row.earliest_end), latest_end=local(row.latest_end),
        reply_slots=row.reply_slots or [], response_time=row.response_time,
        notice_days=row.notice_days,
    )


def visible_window(session: Session, owner: Owner, window_id: str) -> WindowRow:
    row = repository.get(session, owner.id, window_id)
    if row is None:
        raise NotFound(f"No window '{window_id}' for owner '{owner.id}'.")
    return row


def create_manual(session: Session, owner: Owner, body: WindowCreate) -> WindowRow:
    now = clock.now()
    row = WindowRow(
        id="w_" + secrets.token_hex(8), owner_id=owner.id, kind=body.kind, source="manual",
        starts_at=body.starts_at, ends_at=body.ends_at, title=body.title or {},
        note=body.note, tentative=False, reply_slots=body.reply_slots or [],
        response_time=body.response_time, notice_days=body.notice_days,
        created_at=now, updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def _manual_only(row: WindowRow) -> None:
    if row.source != "manual":
        raise Conflict(
            "This window comes from a calendar rule; change or delete the rule "
            f"(/v1/owners/{row.owner_id}/rules), or add a manual window to override it.")


def update_manual(session: Session, row: WindowRow, body: WindowUpdate) -> WindowRow:
    _manual_only(row)
    changes = body.model_dump(exclude_unset=True)
    for field in ("kind", "starts_at", "ends_at", "notice_days"):
        if field in changes and changes[field] is None:
            changes.pop(field)
    starts = changes.get("starts_at", row.starts_at)
    ends = changes.get("ends_at", row.ends_at)
    if starts >= ends:
        raise Invalid("starts_at must be before ends_at", field="ends_at")
    if "reply_slots" in changes and changes["reply_slots"] is None:
        changes["reply_slots"] = []
    for field, value in changes.items():
        setattr(row, field, value)
    row.updated_at = clock.now()
    session.flush()
    return row


def delete_manual(session: Session, row: WindowRow) -> None:
    _manual_only(row)
    session.delete(row)


@dataclass(frozen=True, slots=True)
class Moved:
    """A computed window whose dates changed (a confirmation, a rule edit)."""

    before: WindowRow
    after: WindowRow


def horizon(today: date) -> tuple[date, date]:
    return today - timedelta(days=1), today + timedelta(days=31 * HORIZON_MONTHS)


def rematerialise(session: Session, owner: Owner, *, today: date | None = None,
                  confirmations: dict[tuple[str, int], date] | None = None) -> list[Moved]:
    """Bring the owner's computed windows in line with rules, country and confirmations.

    Windows keep their deterministic ids, so a moved window is updated in place and a
    caller can tell clients who were given the old dates.
    """
    return rematerialise_many(session, [owner], today=today, confirmations=confirmations)


def rematerialise_many(session: Session, owners: Sequence[Owner], *, today: date | None = None,
                       confirmations: dict[tuple[str, int], date] | None = None) -> list[Moved]:
    """``rematerialise`` for many owners, with one read of their rules, one of their stored
    windows and one flush. ``confirmations`` are the active ones of the owners' one country,
    when the caller has them."""
    from app.country_calendar.repository import active_confirmations
    from app.country_calendar.service import rule_windows
    from app.rules.repository import for_owners

    if not owners:
        return []
    today = today or clock.now().date()
    start, end = horizon(today)
    ids = [owner.id for owner in owners]
    own_rules = for_owners(session, ids)
    # The earliest local midnight of ``start`` anywhere (UTC+14), narrowed per owner below.
    earliest = datetime.combine(start - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    stored: dict[str, dict[str, WindowRow]] = {owner_id: {} for owner_id in ids}
    for row in repository.computed_of(session, ids, since=earliest):
        stored[row.owner_id][row.id] = row
    known: dict[str, dict[tuple[str, int], date]] = {}  # confirmations per country
    moved: list[Moved] = []
    gone: list[str] = []
    now = clock.now()
    for owner in owners:
        since = datetime.combine(start, datetime.min.time(),
                                 tzinfo=validation.zone(owner.timezone))
        existing = {wid: row for wid, row in stored[owner.id].items() if row.ends_at > since}
        if confirmations is None and owner.country not in known:
            known[owner.country] = active_confirmations(session, owner.country)
        wanted = {m.row.id: m.row for m in rule_windows(
            session, owner, start, end, today=today,
            confirmations=known[owner.country] if confirmations is None else confirmations,
            own_rules=own_rules.get(owner.id, []))}
        gone += [wid for wid in existing if wid not in wanted]
        for wid, new in wanted.items():
            old = existing.get(wid)
            if old is None:
                new.created_at = new.updated_at = now
                session.add(new)
                continue
            changed = [c for c in _COMPUTED if getattr(old, c) != getattr(new, c)]
            if not changed:
                continue  # an untouched window keeps its row (and its updated_at)
            if (old.starts_at, old.ends_at) != (new.starts_at, new.ends_at):
                snapshot = WindowRow(**{c: getattr(old, c) for c in _COLUMNS})
                moved.append(Moved(before=snapshot, after=old))
            for column in changed:
                setattr(old, column, getattr(new, column))
            old.updated_at = now
    repository.delete_ids(session, gone)
    session.flush()
    return moved


_COLUMNS = [c.key for c in WindowRow.__table__.columns]
# What the rules decide about a computed window (the rest is identity and bookkeeping).
_COMPUTED = [c for c in _COLUMNS if c not in ("id", "owner_id", "created_at", "updated_at")]


def list_windows(session: Session, owner: Owner, start: datetime | None, end: datetime | None,
                 *, limit: int, after: tuple[datetime, str] | None) -> list[WindowRow]:
    """Stored windows in the range, plus computed ones past the materialised horizon."""
    rows = repository.overlapping(session, owner.id, start, end, limit=limit + 1, after=after)
    today = clock.now().date()
    _, horizon_end = horizon(today)
    tz = validation.zone(owner.timezone)
    beyond = datetime.combine(horizon_end, datetime.min.time(), tzinfo=tz)
    if end is not None and end > beyond and len(rows) <= limit:
        from app.country_calendar.service import rule_windows

        first_day = max(beyond, start or beyond).astimezone(tz).date()
        last_day = end.astimezone(tz).date()
        if (last_day - first_day).days > 366 * 20:
            raise Invalid("Ask for at most 20 years of windows at once.", field="to")
        stored = {r.id for r in rows}
        extra = [m.row for m in rule_windows(session, owner, first_day, last_day, today=today)
                 if m.row.id not in stored and m.row.starts_at >= beyond
                 and m.row.starts_at < end]
        if after is not None:
            extra = [r for r in extra if (r.starts_at, r.id) > after]
        rows = sorted(rows + extra, key=lambda r: (r.starts_at, r.id))[: limit + 1]
    return rows
