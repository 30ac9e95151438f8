from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.orm import Session

from app import clock, validation
from app.domain.refusal import Refusal
from app.errors import Conflict, Invalid, NotFound
from app.owners.models import Owner
from app.windows import repository
from app.windows.computed import horizon, rule_windows
from app.windows.models import WindowRow
from app.windows.schemas import WindowCreate, WindowRead, WindowUpdate, check_span


def read(row: WindowRow, owner: Owner) -> WindowRead:
    tz = validation.zone(owner.timezone)

    def local(value: datetime | None) -> datetime | None:
        return value.astimezone(tz) if value is not None else None

    return WindowRead(
        id=row.id, kind=row.kind, source=row.source, occasion=row.occasion,
        hijri_year=row.hijri_year, title=row.title or {}, note=row.note,
        starts_at=row.starts_at.astimezone(tz), ends_at=row.ends_at.astimezone(tz),
        tentative=row.tentative,
        earliest_start=local(row.earliest_start), latest_start=local(row.latest_start),
        earliest_end=local(row.earliest_end), latest_end=local(row.latest_end),
        move_chance=row.move_chance, reply_slots=row.reply_slots or [], response_time=row.response_time,
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
    repository.add(session, row)
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
    try:
        check_span(starts, ends)
    except Refusal as exc:
        raise Invalid(str(exc), field="ends_at") from exc
    if "reply_slots" in changes and changes["reply_slots"] is None:
        changes["reply_slots"] = []
    for field, value in changes.items():
        setattr(row, field, value)
    row.updated_at = clock.now()
    session.flush()
    return row


def delete_manual(session: Session, row: WindowRow) -> None:
    _manual_only(row)
    repository.remove(session, row)


def list_windows(session: Session, owner: Owner, start: datetime | None, end: datetime | None,
                 *, limit: int, after: tuple[datetime, str] | None) -> list[WindowRow]:
    """Stored windows in the range, plus computed ones past the materialised horizon."""
    rows = repository.overlapping(session, owner.id, start, end, limit=limit + 1, after=after)
    today = clock.now().date()
    _, horizon_end = horizon(today)
    tz = validation.zone(owner.timezone)
    beyond = datetime.combine(horizon_end, datetime.min.time(), tzinfo=tz)
    if end is not None and end > beyond and len(rows) <= limit:
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
