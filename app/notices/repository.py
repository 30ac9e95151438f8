"""Notices, corrections, "I'm back" and digests: the queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from app.contacts.models import Contact
from app.db import core, insert_many
from app.decisions.models import TOLD_DATES, EventRow
from app.owners.models import Owner
from app.windows.models import WindowRow


def told_contacts(session: Session, windows: Sequence[WindowRow]) -> dict[str, list[Any]]:
    """Per window, the clients who were given its dates, each by their most recently seen
    contact that is not opted out (read-only rows with a Contact's attributes; a client
    with no such contact is left out): a statement per 500 windows, by owner first, so that
    the owner index narrows the search."""
    found: dict[str, list[Any]] = {}
    for first in range(0, len(windows), 500):
        chunk = windows[first:first + 500]
        told = select(EventRow.window_id, EventRow.owner_id, EventRow.client_key).where(
            EventRow.owner_id.in_({w.owner_id for w in chunk}),
            EventRow.window_id.in_([w.id for w in chunk]),
            EventRow.replied_at.is_not(None), EventRow.client_key.is_not(None),
            EventRow.situation.in_(TOLD_DATES)).distinct().subquery()
        rows = core(session).execute(
            select(told.c.window_id, *Contact.__table__.c)
            .join(Contact, (Contact.owner_id == told.c.owner_id)
                  & (Contact.client_key == told.c.client_key))
            .where(Contact.opted_out.is_(False))
            .order_by(told.c.window_id, Contact.client_key,
                      Contact.last_seen_at.desc().nulls_last()))
        for row in rows:
            clients = found.setdefault(row.window_id, [])
            if not clients or clients[-1].client_key != row.client_key:
                clients.append(row)
    return found


def told_of(session: Session, owner_id: str, window_id: str, situation: str) -> set[str]:
    """The client keys already sent ``situation`` about this window."""
    return set(session.scalars(select(EventRow.client_key).where(
        EventRow.owner_id == owner_id, EventRow.window_id == window_id,
        EventRow.situation == situation)))






def untold_audience(session: Session, owner_id: str, window_id: str, since: datetime, *,
                    after: str | None, limit: int) -> list[Any]:
    """The next ``limit`` clients (by client key, after ``after``) seen since ``since``,
    not opted out and not yet given the window's advance notice: each client's most
    recently seen contact, as read-only rows with a Contact's attributes. Two statements,
    whatever the number of clients."""
    told = select(EventRow.id).where(
        EventRow.owner_id == owner_id, EventRow.client_key == Contact.client_key,
        EventRow.window_id == window_id, EventRow.situation == "advance_notice")
    keys = select(Contact.client_key).distinct().where(
        Contact.owner_id == owner_id, Contact.opted_out.is_(False),
        Contact.last_seen_at >= since, ~told.exists())
    if after is not None:
        keys = keys.where(Contact.client_key > after)
    chosen = list(session.scalars(keys.order_by(Contact.client_key).limit(limit)))
    if not chosen:
        return []
    return _latest_per_client(core(session).execute(
        select(Contact.__table__).where(Contact.owner_id == owner_id,
                                        Contact.client_key.in_(chosen),
                                        Contact.opted_out.is_(False),
                                        Contact.last_seen_at >= since)
        .order_by(Contact.client_key, Contact.last_seen_at.desc())))


def reachable_contacts(session: Session, clients: Sequence[tuple[str, str]]
                       ) -> dict[tuple[str, str], Any]:
    """Per (owner id, client key), the client's most recently seen contact that is not
    opted out, as a read-only row with a Contact's attributes: a statement per 500 pairs."""
    found: dict[tuple[str, str], Any] = {}
    for first in range(0, len(clients), 500):
        chunk = clients[first:first + 500]
        rows = core(session).execute(
            select(Contact.__table__)
            .where(tuple_(Contact.owner_id, Contact.client_key).in_(chunk),
                   Contact.opted_out.is_(False))
            .order_by(Contact.owner_id, Contact.client_key,
                      Contact.last_seen_at.desc().nulls_last()))
        for contact in _latest_per_client(rows):
            found[(contact.owner_id, contact.client_key)] = contact
    return found


def _latest_per_client(rows: Any) -> list[Any]:
    """The first contact of each client key, from rows ordered by client key."""
    latest: list[Any] = []
    for contact in rows:
        if not latest or latest[-1].client_key != contact.client_key or \
                latest[-1].owner_id != contact.owner_id:
            latest.append(contact)
    return latest


def add_events(session: Session, rows: Sequence[dict[str, Any]], *, situation: str,
               at: datetime) -> dict[tuple[str, str, str], int]:
    """Insert the events of one broadcast (one situation, recorded at ``at``, at most one
    per owner, window and client); their ids by (owner id, window id, client key). One
    statement on PostgreSQL (``db.insert_many``); on SQLite an executemany and a SELECT."""
    if not rows:
        return {}
    found = insert_many(core(session), EventRow.__table__, rows,
                        returning=("owner_id", "window_id", "client_key", "id"))
    if found is None:
        found = list(session.execute(select(
            EventRow.owner_id, EventRow.window_id, EventRow.client_key, EventRow.id).where(
                EventRow.owner_id.in_({row["owner_id"] for row in rows}),
                EventRow.situation == situation, EventRow.created_at == at,
                EventRow.window_id.in_({row["window_id"] for row in rows}))))
    wanted = {(row["owner_id"], row["window_id"], row["client_key"]) for row in rows}
    return {(owner_id, window_id, key): event_id for owner_id, window_id, key, event_id in found
            if (owner_id, window_id, key) in wanted}


def off_windows_starting(session: Session, after: datetime,
                         within: timedelta) -> Sequence[WindowRow]:
    """Off windows starting in ``(after, after + within]``, by owner and start."""
    return session.scalars(
        select(WindowRow).where(WindowRow.kind == "off", WindowRow.starts_at > after,
                                WindowRow.starts_at <= after + within)
        .order_by(WindowRow.owner_id, WindowRow.starts_at)).all()


def off_windows_ended(session: Session, now: datetime, within: timedelta, *,
                      tell_when_back: bool = False) -> Sequence[WindowRow]:
    """Off windows that ended in ``(now - within, now]`` (only of owners who asked to tell
    their clients when they are back, with ``tell_when_back``), by owner and end."""
    stmt = select(WindowRow).where(WindowRow.kind == "off", WindowRow.ends_at <= now,
                                   WindowRow.ends_at > now - within)
    if tell_when_back:
        stmt = stmt.join(Owner, Owner.id == WindowRow.owner_id).where(
            Owner.tell_when_back.is_(True))
    return session.scalars(stmt.order_by(WindowRow.owner_id, WindowRow.ends_at)).all()


def writers_told_away(session: Session, row: WindowRow) -> Sequence[str]:
    """The clients who wrote during the window and were answered, first writers first."""
    keys = session.scalars(
        select(EventRow.client_key).where(
            EventRow.owner_id == row.owner_id, EventRow.window_id == row.id,
            EventRow.kind == "inbound", EventRow.replied_at.is_not(None),
            EventRow.client_key.is_not(None), EventRow.at >= row.starts_at,
            EventRow.at < row.ends_at)
        .group_by(EventRow.client_key).order_by(func.min(EventRow.at))).all()
    return [key for key in keys if key is not None]  # all of them: NULL is excluded above


def messages_during(session: Session, owner_id: str, starts_at: datetime,
                    ends_at: datetime) -> Sequence[Any]:
    """Every inbound event in ``[starts_at, ends_at)`` with its contact (or None), oldest
    first: rows of ``(EventRow, Contact | None)``."""
    return session.execute(
        select(EventRow, Contact).outerjoin(Contact, Contact.id == EventRow.contact_id)
        .where(EventRow.owner_id == owner_id, EventRow.kind == "inbound",
               EventRow.at >= starts_at, EventRow.at < ends_at)
        .order_by(EventRow.at)).all()
