"""Messages nobody asked for: advance notices before a break, corrections when a
confirmation moves a window, the back-from-leave digest for the owner, and (for owners who
ask for it) a word to the clients who wrote during a break that the owner is back.

Each is once-only by construction: an idempotent delivery key per (window, client), plus
an event row so the audit trail and the inbound heads-up logic see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.connections.models import ChannelRow
from app.contacts.models import Contact
from app.decisions import service as decisions
from app.decisions.models import EventRow
from app.domain import availability
from app.domain.model import Status, Window
from app.inbound.service import can_write_first, enqueue_to_contact
from app.owners.models import Owner
from app.windows.models import WindowRow
from app.windows.service import Moved, to_domain


def _told(session: Session, windows: list[WindowRow]) -> dict[str, list[str]]:
    """Per window, the client keys that were given its dates (a statement per 500 windows;
    by owner first, so that the owner index narrows the search)."""
    told: dict[str, list[str]] = {}
    for first in range(0, len(windows), 500):
        chunk = windows[first:first + 500]
        rows = session.execute(
            select(EventRow.window_id, EventRow.client_key).where(
                EventRow.owner_id.in_({w.owner_id for w in chunk}),
                EventRow.window_id.in_([w.id for w in chunk]),
                EventRow.replied_at.is_not(None), EventRow.client_key.is_not(None),
                EventRow.situation.in_(("off", "reduced", "urgent", "advance_notice",
                                        "correction")))
            .distinct())
        for row in rows:
            told.setdefault(row.window_id, []).append(row.client_key)
    return told


def _reachable_contact(session: Session, owner_id: str, client_key: str) -> Contact | None:
    """The client's most recently seen contact that is not opted out."""
    return session.scalars(
        select(Contact).where(Contact.owner_id == owner_id, Contact.client_key == client_key,
                              Contact.opted_out.is_(False))
        .order_by(Contact.last_seen_at.desc().nulls_last())).first()


def _record(session: Session, owner: Owner, contact: Contact, *, kind: str, window_id: str,
            text: str, at: datetime, language: str, tone: str) -> EventRow:
    event = EventRow(owner_id=owner.id, contact_id=contact.id, client_key=contact.client_key,
                     source="scheduler", dedupe_key=None, kind=kind, at=at, text=None,
                     status="available", window_id=window_id, urgent=False, suppressed=None,
                     situation=kind, replied_at=at, reply_text=text, language=language,
                     tone=tone, decision={"kind": kind, "window_id": window_id}, created_at=at)
    session.add(event)
    session.flush()
    return event


def _language_tone(owner: Owner, contact: Contact) -> tuple[str, str]:
    language = contact.language or (owner.languages[0] if owner.languages else "ar")
    return language, contact.tone or owner.tone


def _tell(session: Session, owner: Owner, policy, contact: Contact, *,  # noqa: ANN001
          situation: str, delivery_kind: str, key: str, window: Window, back_at: datetime,
          reply_by: datetime, now: datetime, old_back_at: datetime | None = None) -> bool:
    """Render ``situation`` for the contact, record it as an event of that kind (the audit
    trail, and what the once-only checks look for) and queue it on the channel the contact
    last used. False when that channel is gone."""
    language, tone = _language_tone(owner, contact)
    reply = decisions.render(session, owner, policy, situation=situation, language=language,
                             tone=tone, window=window, back_at=back_at, reply_by=reply_by,
                             contact_name=contact.name, old_back_at=old_back_at)
    event = _record(session, owner, contact, kind=situation, window_id=window.id,
                    text=reply.text, at=now, language=language, tone=tone)
    return enqueue_to_contact(session, owner, contact, text=reply.text, subject=reply.subject,
                              kind=delivery_kind, key=key, event_id=event.id, now=now)


def queue_corrections(session: Session, moved: list[Moved]) -> int:
    """One correction to every client who was told a window's old dates."""
    count = 0
    now = clock.now()
    told_of = _told(session, [item.after for item in moved])
    for item in moved:
        told = told_of.get(item.after.id, [])
        if not told:
            continue  # nobody was given the old dates (a confirmation moves many such)
        owner = session.get(Owner, item.after.owner_id)
        if owner is None:
            continue
        policy = decisions.policy_of(session, owner, now)
        window = to_domain(item.after)
        old_back = availability.back_at(policy, item.before.ends_at)
        _, back_at, reply_by = availability.timing(policy, item.after.ends_at)
        for client_key in told:
            contact = _reachable_contact(session, owner.id, client_key)
            if contact is None:
                continue
            key = (f"correction:{item.after.id}:{item.after.starts_at.isoformat()}:"
                   f"{item.after.ends_at.isoformat()}:{client_key}")
            if _tell(session, owner, policy, contact, situation="correction",
                     delivery_kind="correction", key=key, window=window, back_at=back_at,
                     reply_by=reply_by, now=now, old_back_at=old_back):
                count += 1
    return count


def send_advance_notices(session: Session, now: datetime) -> int:
    """Notices for off windows whose notice period has begun, on the owner's working time."""
    rows = session.scalars(
        select(WindowRow).where(WindowRow.kind == "off", WindowRow.starts_at > now,
                                WindowRow.starts_at <= now + timedelta(days=90))
        .order_by(WindowRow.owner_id, WindowRow.starts_at)).all()
    sent = 0
    for row in rows:
        if row.starts_at - timedelta(days=row.notice_days) > now or row.notice_days <= 0:
            continue
        owner = session.get(Owner, row.owner_id)
        if owner is None:
            continue
        policy = decisions.policy_of(session, owner, now)
        if not availability.status_at(policy, now).working:
            continue  # wait for the owner's first working hour
        sent += _notify_audience(session, owner, policy, row, now)
    return sent


def _notify_audience(session: Session, owner: Owner, policy, row: WindowRow,  # noqa: ANN001
                     now: datetime) -> int:
    window = to_domain(row)
    told = set(session.scalars(select(EventRow.client_key).where(
        EventRow.owner_id == owner.id, EventRow.window_id == row.id,
        EventRow.situation == "advance_notice")))
    since = now - timedelta(days=owner.notice_audience_days)
    contacts = session.scalars(select(Contact).where(
        Contact.owner_id == owner.id, Contact.opted_out.is_(False),
        Contact.last_seen_at >= since).order_by(Contact.last_seen_at.desc())).all()
    _, back_at, reply_by = availability.timing(policy, row.ends_at)
    count = 0
    for contact in contacts:
        if contact.client_key in told:
            continue
        told.add(contact.client_key)
        if not can_write_first(session, contact, now):
            continue
        if _tell(session, owner, policy, contact, situation="advance_notice",
                 delivery_kind="notice", key=f"notice:{row.id}:{contact.client_key}",
                 window=window, back_at=back_at, reply_by=reply_by, now=now):
            count += 1
    return count


BACK_LOOKBACK = timedelta(days=3)


def send_back_messages(session: Session, now: datetime, *,
                       lookback: timedelta = BACK_LOOKBACK) -> int:
    """For owners with ``tell_when_back``: once an off window is over and the owner is
    working again, tell each client who wrote during it (and was told the owner was away)
    that the owner is back and when to expect an answer. Once per client per window.

    A window that ended more than ``lookback`` ago is left alone: a client who wrote
    before a long stretch of other time off has heard from the owner by then.
    """
    rows = session.scalars(
        select(WindowRow).join(Owner, Owner.id == WindowRow.owner_id)
        .where(Owner.tell_when_back.is_(True), WindowRow.kind == "off",
               WindowRow.ends_at <= now, WindowRow.ends_at > now - lookback)
        .order_by(WindowRow.owner_id, WindowRow.ends_at)).all()
    sent = 0
    for row in rows:
        untold = _untold_writers(session, row)
        owner = session.get(Owner, row.owner_id) if untold else None
        if owner is None:
            continue  # everyone who wrote has been told (the usual case after the first run)
        policy = decisions.policy_of(session, owner, now)
        snapshot = availability.status_at(policy, now)
        if not snapshot.working or snapshot.status is Status.OFF:
            continue  # not back yet: wait for the owner's first working hour
        window = to_domain(row)
        _, back_at, reply_by = availability.timing(policy, now)
        for client_key in untold:
            contact = _reachable_contact(session, owner.id, client_key)
            if contact is None or not can_write_first(session, contact, now):
                continue
            if _tell(session, owner, policy, contact, situation="back", delivery_kind="back",
                     key=f"back:{row.id}:{client_key}", window=window, back_at=back_at,
                     reply_by=reply_by, now=now):
                sent += 1
    return sent


def _untold_writers(session: Session, row: WindowRow) -> list[str]:
    """The clients who wrote during the window and were told the owner was away, and
    have not been told yet that the owner is back; first writers first. (A client who
    only got the heads-up before the window did not write during it.)"""
    wrote = session.scalars(
        select(EventRow.client_key).where(
            EventRow.owner_id == row.owner_id, EventRow.window_id == row.id,
            EventRow.kind == "inbound", EventRow.replied_at.is_not(None),
            EventRow.client_key.is_not(None), EventRow.at >= row.starts_at,
            EventRow.at < row.ends_at)
        .group_by(EventRow.client_key).order_by(func.min(EventRow.at))).all()
    told = set(session.scalars(select(EventRow.client_key).where(
        EventRow.owner_id == row.owner_id, EventRow.window_id == row.id,
        EventRow.situation == "back")))
    return [client_key for client_key in wrote if client_key not in told]


@dataclass(frozen=True, slots=True)
class DigestEntry:
    contact_id: str | None
    name: str | None
    address: str | None
    channel: str | None
    urgent: bool
    messages: int
    first_at: datetime
    last_at: datetime
    last_text: str | None


def digest(session: Session, owner: Owner, window: WindowRow) -> list[DigestEntry]:
    """Who wrote during a window, urgent first, then by the first message."""
    rows = session.execute(
        select(EventRow, Contact).outerjoin(Contact, Contact.id == EventRow.contact_id)
        .where(EventRow.owner_id == owner.id, EventRow.kind == "inbound",
               EventRow.at >= window.starts_at, EventRow.at < window.ends_at)
        .order_by(EventRow.at)).all()
    grouped: dict[str, list[tuple[EventRow, Contact | None]]] = {}
    for event, contact in rows:
        grouped.setdefault(event.client_key or f"event:{event.id}", []).append((event, contact))
    entries = []
    for items in grouped.values():
        last_event, contact = items[-1]
        entries.append(DigestEntry(
            contact_id=contact.id if contact else None, name=contact.name if contact else None,
            address=contact.address if contact else None,
            channel=contact.channel if contact else None,
            urgent=any(e.urgent for e, _ in items), messages=len(items),
            first_at=items[0][0].at, last_at=last_event.at, last_text=last_event.text))
    entries.sort(key=lambda e: (not e.urgent, e.first_at))
    return entries


def send_back_digests(session: Session, now: datetime, *, lookback: timedelta = timedelta(hours=6)) -> int:
    """When an off window has just ended, send its digest to the owner's digest channel."""
    rows = session.scalars(select(WindowRow).where(
        WindowRow.kind == "off", WindowRow.ends_at <= now,
        WindowRow.ends_at > now - lookback)).all()
    count = 0
    for row in rows:
        owner = session.get(Owner, row.owner_id)
        if owner is None or not owner.digest_to:
            continue
        channel = session.get(ChannelRow, owner.digest_to.get("channel_id"))
        if channel is None or channel.owner_id != owner.id:
            continue
        entries = digest(session, owner, row)
        text = format_digest(owner, row, entries)
        from app.connections.service import context_for_address
        from app.outbox.service import enqueue

        enqueue(session, owner_id=owner.id, channel_id=channel.id, platform=channel.platform,
                kind="digest", key=f"digest:{row.id}:{row.ends_at.isoformat()}",
                payload={"to": owner.digest_to["address"], "text": text,
                         "subject": "Ijaza digest",
                         "context": context_for_address(channel, owner.digest_to["address"],
                                                        subject="Ijaza digest")},
                now=now)
        count += 1
    return count


def format_digest(owner: Owner, window: WindowRow, entries: list[DigestEntry]) -> str:
    title = (window.title or {}).get("en") or window.occasion or "your time off"
    lines = [f"Welcome back! While you were away ({title}), {len(entries)} "
             f"client{'s' if len(entries) != 1 else ''} wrote:"]
    for entry in entries:
        who = entry.name or entry.address or "unknown"
        mark = "URGENT — " if entry.urgent else ""
        snippet = (entry.last_text or "").strip().replace("\n", " ")[:140]
        lines.append(f"- {mark}{who} ({entry.channel}, {entry.messages} message"
                     f"{'s' if entry.messages != 1 else ''}): {snippet}")
    if not entries:
        lines.append("- nobody. Enjoy your first day back.")
    return "\n".join(lines)
