from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeAlias

from sqlalchemy import Row, Table, bindparam, func, insert, select
from sqlalchemy.orm import Session

from app.contacts.models import Contact
from app.db import EncodedJSON, core, insert_for_dialect
from app.decisions.models import EventRow, OwnerActivity
from app.domain.decision import PastReply

HISTORY_LIMIT = 50
# A row of CONTACT_COLUMNS: eleven columns, more than select() gives types for.
ContactRow: TypeAlias = Row[*tuple[Any, ...]]


def page(session: Session, owner_id: str, *, limit: int, after: int | None,
         client_key: str | None, since: datetime | None) -> list[EventRow]:
    stmt = select(EventRow).where(EventRow.owner_id == owner_id)
    if client_key is not None:
        stmt = stmt.where(EventRow.client_key == client_key)
    if since is not None:
        stmt = stmt.where(EventRow.at >= since)
    if after is not None:
        stmt = stmt.where(EventRow.id < after)
    return list(session.scalars(stmt.order_by(EventRow.id.desc()).limit(limit + 1)))


# The batch reads below serve ``service.decide_many``: one statement per batch of messages,
# whatever its size, instead of one per message.

CONTACT_COLUMNS = (Contact.id, Contact.owner_id, Contact.channel, Contact.address, Contact.name,
                   Contact.language, Contact.tone, Contact.vip, Contact.opted_out,
                   Contact.client_key, Contact.last_channel_id)


def touch_contacts(session: Session, rows: Sequence[dict[str, Any]], *,
                   with_reply_context: bool) -> dict[tuple[str, str, str], ContactRow]:
    """Create or update the contacts who just wrote; on PostgreSQL this also locks them, so
    that one client's messages are decided one at a time across replicas.

    ``rows`` are unique per (owner_id, channel, address) and sorted, so that two batches
    always lock in the same order. Known names, languages and tones are kept.
    """
    if not rows:
        return {}
    stmt = _upsert_contacts(session.get_bind().dialect.name, with_reply_context)
    found = core(session).execute(stmt, list(rows)).all()
    return {(r.owner_id, r.channel, r.address): r for r in found}


@functools.cache
def _upsert_contacts(dialect: str, with_reply_context: bool) -> Any:
    """The contacts' upsert, built once per database kind (a statement is immutable)."""
    table = Contact.__table__
    stmt = insert_for_dialect(dialect, table)
    excluded = stmt.excluded
    values: dict[str, Any] = {
        "name": func.coalesce(table.c.name, excluded.name),
        "language": func.coalesce(table.c.language, excluded.language),
        "tone": func.coalesce(table.c.tone, excluded.tone),
        "last_seen_at": excluded.last_seen_at,
        "last_channel_id": func.coalesce(excluded.last_channel_id, table.c.last_channel_id),
        "opted_out": table.c.opted_out | excluded.opted_out,
    }
    if with_reply_context:
        values["reply_context"] = excluded.reply_context
    return stmt.on_conflict_do_update(index_elements=["owner_id", "channel", "address"],
                                      set_=values).returning(
        *(table.c[column.key] for column in CONTACT_COLUMNS))


def find_contacts(session: Session, keys: Sequence[tuple[str, str, str]]
                  ) -> dict[tuple[str, str, str], ContactRow]:
    """Contacts as they are (a dry run writes nothing)."""
    found: dict[tuple[str, str, str], ContactRow] = {}
    for owner_id, channel, address in set(keys):
        row = session.execute(select(*CONTACT_COLUMNS).where(
            Contact.owner_id == owner_id, Contact.channel == channel,
            Contact.address == address)).first()
        if row is not None:
            found[(owner_id, channel, address)] = row
    return found


# The batch reads are built once, with expanding IN lists: a batch pays for running them,
# not for building and cache-keying new statements.
_SEEN = (select(EventRow.id, EventRow.owner_id, EventRow.source, EventRow.dedupe_key,
                EventRow.decision)
         .where(EventRow.owner_id.in_(bindparam("owners", expanding=True)),
                EventRow.source.in_(bindparam("sources", expanding=True)),
                EventRow.dedupe_key.in_(bindparam("keys", expanding=True))))

_RANKED = (
    select(EventRow.client_key, EventRow.replied_at, EventRow.situation, EventRow.window_id,
           func.row_number().over(partition_by=EventRow.client_key,
                                  order_by=EventRow.replied_at.desc()).label("n"))
    .where(EventRow.owner_id == bindparam("owner_id"),
           EventRow.client_key.in_(bindparam("client_keys", expanding=True)),
           EventRow.replied_at.is_not(None))
    .subquery())
_RECENT = select(_RANKED).where(_RANKED.c.n <= HISTORY_LIMIT)


def seen_events(session: Session, keys: Sequence[tuple[str, str, str]]
                ) -> dict[tuple[str, str, str], tuple[int, dict[str, Any]]]:
    """Events already recorded for these (owner, source, dedupe key): platform retries."""
    if not keys:
        return {}
    wanted = set(keys)
    rows = session.execute(_SEEN, {"owners": sorted({k[0] for k in wanted}),
                                   "sources": sorted({k[1] for k in wanted}),
                                   "keys": sorted({k[2] for k in wanted})})
    return {(r.owner_id, r.source, r.dedupe_key): (r.id, r.decision) for r in rows
            if (r.owner_id, r.source, r.dedupe_key) in wanted}


def recent_replies(session: Session, owner_id: str, client_keys: Sequence[str]
                   ) -> dict[str, list[PastReply]]:
    """Each client's most recent automatic replies (at most ``HISTORY_LIMIT`` each, so that
    the cost does not grow with history), for many clients of one owner in one statement."""
    if not client_keys:
        return {}
    found: dict[str, list[PastReply]] = {}
    for r in session.execute(_RECENT, {"owner_id": owner_id,
                                       "client_keys": sorted(set(client_keys))}):
        found.setdefault(r.client_key, []).append(
            PastReply(at=r.replied_at, situation=r.situation or "", window_id=r.window_id))
    return found


def activity_between(session: Session, owner_id: str, first: datetime,
                     last: datetime) -> list[tuple[str | None, datetime, datetime]]:
    """The owner's activity that covers any instant in ``[first, last]``."""
    rows = core(session).execute(_ACTIVITY, {"owner_id": owner_id, "first": first,
                                             "last": last})
    return [(r.client_key, r.at, r.until) for r in rows]


# Read for every batch of messages: built once (no statement building per read).
_ACTIVITY = (select(OwnerActivity.client_key, OwnerActivity.at, OwnerActivity.until)
             .where(OwnerActivity.owner_id == bindparam("owner_id"),
                    OwnerActivity.until > bindparam("first"),
                    OwnerActivity.at <= bindparam("last")))


# ``decision`` arrives encoded (pydantic's JSON, also the body of the response).
_EVENTS = EventRow.__table__
assert isinstance(_EVENTS, Table)  # a mapped class's __table__ (typed FromClause) is its Table
_INSERT_EVENTS = (insert(_EVENTS)
                  .values(decision=bindparam("decision", type_=EncodedJSON()))
                  .returning(_EVENTS.c.id))


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert events in one statement; their ids in the order given. Each row's
    ``decision`` is already JSON text.

    The ids are read back with RETURNING and sorted: one INSERT assigns its rows increasing
    ids in the order of its VALUES (SQLite's rowid and a PostgreSQL sequence alike), while
    the order RETURNING gives them in is not promised. (SQLAlchemy's own ordered RETURNING
    falls back to one statement per row on SQLite.)
    """
    if not rows:
        return []
    ids = sorted(core(session).execute(_INSERT_EVENTS, list(rows)).scalars())
    if len(ids) != len(rows):
        raise RuntimeError(f"{len(rows)} events inserted, {len(ids)} ids returned")
    return ids


def add_unanswered(session: Session, owner_id: str, *, source: str, reason: str,
                   dedupe_key: str, at: datetime, now: datetime) -> None:
    session.add(EventRow(owner_id=owner_id, contact_id=None, client_key=None, source=source,
                         dedupe_key=dedupe_key, kind="not_answered", at=at, text=None,
                         status="unknown", urgent=False, decision={"answered": False,
                                                                   "reason": reason},
                         created_at=now))
    session.flush()


def add_activity(session: Session, owner_id: str, *, client_key: str | None, at: datetime,
                 until: datetime) -> None:
    session.add(OwnerActivity(owner_id=owner_id, client_key=client_key, at=at, until=until))
    session.flush()
