from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.orm import Session

from app.db import add, core, remove, update_many  # noqa: F401 - add, remove: the writes every repository has
from app.windows.models import WindowRow

# The policy's read (every batch of messages reads it): built once, and run as Core (rows,
# not mapped objects): a read is then not also the building of a statement and of objects.
_AROUND = (select(WindowRow.__table__)
           .where(WindowRow.owner_id == bindparam("owner_id"),
                  WindowRow.ends_at > bindparam("start"), WindowRow.starts_at < bindparam("end"))
           .order_by(WindowRow.starts_at, WindowRow.id))


def around(session: Session, owner_id: str, start: datetime, end: datetime) -> list[Any]:
    """Like ``overlapping``, as read-only rows with the same attributes (for a policy)."""
    return list(core(session).execute(_AROUND, {"owner_id": owner_id, "start": start,
                                                "end": end}))


def around_many(session: Session, owner_ids: Sequence[str], start: datetime,
                end: datetime) -> dict[str, list[Any]]:
    """``around`` for many owners, by owner id: a statement per 500 owners."""
    found: dict[str, list[Any]] = {}
    for first in range(0, len(owner_ids), 500):
        for row in core(session).execute(
                select(WindowRow.__table__)
                .where(WindowRow.owner_id.in_(list(owner_ids[first:first + 500])),
                       WindowRow.ends_at > start, WindowRow.starts_at < end)
                .order_by(WindowRow.owner_id, WindowRow.starts_at, WindowRow.id)):
            found.setdefault(row.owner_id, []).append(row)
    return found


def overlapping(session: Session, owner_id: str, start: datetime | None,
                end: datetime | None, *, limit: int | None = None,
                after: tuple[datetime, str] | None = None) -> list[WindowRow]:
    """Windows of one owner that overlap ``[start, end)``, ordered by start then id."""
    stmt = select(WindowRow).where(WindowRow.owner_id == owner_id)
    if start is not None:
        stmt = stmt.where(WindowRow.ends_at > start)
    if end is not None:
        stmt = stmt.where(WindowRow.starts_at < end)
    if after is not None:
        starts, wid = after
        stmt = stmt.where((WindowRow.starts_at > starts)
                          | ((WindowRow.starts_at == starts) & (WindowRow.id > wid)))
    stmt = stmt.order_by(WindowRow.starts_at, WindowRow.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def get(session: Session, owner_id: str, window_id: str) -> WindowRow | None:
    row = session.get(WindowRow, window_id)
    return row if row is not None and row.owner_id == owner_id else None


def computed_of(session: Session, owner_ids: Sequence[str], *,
                since: datetime) -> list[Any]:
    """The computed (non-manual) windows of these owners that end after ``since``, in one
    statement, as read-only rows (a re-plan compares them and writes with Core)."""
    return list(core(session).execute(
        select(WindowRow.__table__).where(WindowRow.owner_id.in_(list(owner_ids)),
                                          WindowRow.source != "manual",
                                          WindowRow.ends_at > since)))


def insert_rows(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """New windows from column values, in one statement."""
    if rows:
        core(session).execute(insert(WindowRow), list(rows))


def update_computed(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Windows rewritten from column values (by ``id``), in one statement. A window of
    these already loaded in the session is expired, so that it is read again."""
    if not rows:
        return
    update_many(core(session), WindowRow.__table__, rows)
    changed = {row["id"] for row in rows}
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, WindowRow) and loaded.id in changed:
            session.expire(loaded)


def delete_ids(session: Session, ids: Sequence[str]) -> None:
    if ids:
        session.execute(delete(WindowRow).where(WindowRow.id.in_(list(ids))))


def for_occurrence(session: Session, owner_ids: Sequence[str] | None, occasion: str,
                   hijri_year: int) -> list[WindowRow]:
    stmt = select(WindowRow).where(WindowRow.occasion == occasion,
                                   WindowRow.hijri_year == hijri_year,
                                   WindowRow.source != "manual")
    if owner_ids is not None:
        stmt = stmt.where(WindowRow.owner_id.in_(list(owner_ids)))
    return list(session.scalars(stmt))


def last_off_started(session: Session, owner_id: str, before: datetime) -> WindowRow | None:
    """The owner's off window that started last before ``before``."""
    return session.scalars(select(WindowRow).where(
        WindowRow.owner_id == owner_id, WindowRow.kind == "off",
        WindowRow.starts_at <= before).order_by(WindowRow.starts_at.desc())).first()
