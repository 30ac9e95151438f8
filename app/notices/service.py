"""Messages nobody asked for: advance notices before a break, corrections when a
confirmation moves a window, the back-from-leave digest for the owner, and (for owners who
ask for it) a word to the clients who wrote during a break that the owner is back.

Each is once-only by construction: an idempotent delivery key per (window, client), plus
an event row so the audit trail and the inbound heads-up logic see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import clock, validation
from app.connections import repository as channels
from app.connections.service import channel_rules
from app.contacts.models import Contact
from app.contacts.outreach import can_write_first, enqueue_to_contact
from app.decisions.models import EventRow
from app.domain import availability, rendering, text
from app.domain.decision import NOTICE_LOOKAHEAD
from app.domain.model import Status, Window
from app.notices import repository
from app.outbox.service import enqueue
from app.owners import repository as owners
from app.owners.models import Owner
from app.replies import service as replies
from app.windows.computed import Moved
from app.windows.models import WindowRow
from app.windows.policy import policy_of, to_domain


def _record(session: Session, owner: Owner, contact: Contact, *, kind: str, window_id: str,
            text: str, at: datetime, language: str, tone: str) -> EventRow:
    event = EventRow(owner_id=owner.id, contact_id=contact.id, client_key=contact.client_key,
                     source="scheduler", dedupe_key=None, kind=kind, at=at, text=None,
                     status="available", window_id=window_id, urgent=False, suppressed=None,
                     situation=kind, replied_at=at, reply_text=text, language=language,
                     tone=tone, decision={"kind": kind, "window_id": window_id}, created_at=at)
    return repository.add_event(session, event)


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
    reply = replies.render(session, owner, policy, situation=situation, language=language,
                           tone=tone, window=window, back_at=back_at, reply_by=reply_by,
                           contact_name=contact.name, old_back_at=old_back_at,
                           channel=replies.channel_kind(contact.channel, contact.address),
                           variant_key=f"{contact.client_key}:{window.id}", at=now)
    event = _record(session, owner, contact, kind=situation, window_id=window.id,
                    text=reply.text, at=now, language=language, tone=tone)
    return enqueue_to_contact(session, owner, contact, text=reply.text, subject=reply.subject,
                              kind=delivery_kind, key=key, event_id=event.id, now=now)


def queue_corrections(session: Session, moved: list[Moved]) -> int:
    """One correction to every client who was told a window's old dates."""
    count = 0
    now = clock.now()
    told_of = repository.told(session, [item.after for item in moved])
    for item in moved:
        told = told_of.get(item.after.id, [])
        if not told:
            continue  # nobody was given the old dates (a confirmation moves many such)
        owner = owners.get(session, item.after.owner_id)
        if owner is None:
            continue
        policy = policy_of(session, owner, now)
        window = to_domain(item.after)
        old_back = availability.back_at(policy, item.before.ends_at)
        _, back_at, reply_by = availability.timing(policy, item.after.ends_at)
        for client_key in told:
            contact = repository.reachable_contact(session, owner.id, client_key)
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
    rows = repository.off_windows_starting(session, now, NOTICE_LOOKAHEAD)
    sent = 0
    for row in rows:
        if row.starts_at - timedelta(days=row.notice_days) > now or row.notice_days <= 0:
            continue
        owner = owners.get(session, row.owner_id)
        if owner is None:
            continue
        policy = policy_of(session, owner, now)
        if not availability.status_at(policy, now).working:
            continue  # wait for the owner's first working hour
        sent += _notify_audience(session, owner, policy, row, now)
    return sent


def _notify_audience(session: Session, owner: Owner, policy, row: WindowRow,  # noqa: ANN001
                     now: datetime) -> int:
    window = to_domain(row)
    told = repository.told_of(session, owner.id, row.id, "advance_notice")
    contacts = repository.audience(session, owner.id,
                                   now - timedelta(days=owner.notice_audience_days))
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
    rows = repository.off_windows_ended(session, now, lookback, tell_when_back=True)
    sent = 0
    for row in rows:
        untold = _untold_writers(session, row)
        owner = owners.get(session, row.owner_id) if untold else None
        if owner is None:
            continue  # everyone who wrote has been told (the usual case after the first run)
        policy = policy_of(session, owner, now)
        snapshot = availability.status_at(policy, now)
        if not snapshot.working or snapshot.status is Status.OFF:
            continue  # not back yet: wait for the owner's first working hour
        window = to_domain(row)
        _, back_at, reply_by = availability.timing(policy, now)
        for client_key in untold:
            contact = repository.reachable_contact(session, owner.id, client_key)
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
    wrote = repository.writers_told_away(session, row)
    told = repository.told_of(session, row.owner_id, row.id, "back")
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
    urgent_text: str | None = None  # the client's first urgent message, shown before the rest


def digest(session: Session, owner: Owner, window: WindowRow) -> list[DigestEntry]:
    """Who wrote during a window, urgent first, then by the first message."""
    rows = repository.messages_during(session, owner.id, window.starts_at, window.ends_at)
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
            first_at=items[0][0].at, last_at=last_event.at, last_text=last_event.text,
            urgent_text=next((e.text for e, _ in items if e.urgent), None)))
    entries.sort(key=lambda e: (not e.urgent, e.first_at))
    return entries


def send_back_digests(session: Session, now: datetime, *, lookback: timedelta = timedelta(hours=6)) -> int:
    """When an off window has just ended, send its digest to the owner's digest channel."""
    rows = repository.off_windows_ended(session, now, lookback)
    count = 0
    for row in rows:
        owner = owners.get(session, row.owner_id)
        if owner is None or not owner.digest_to:
            continue
        channel = channels.of_owner(session, owner.id, owner.digest_to.get("channel_id") or "")
        if channel is None:
            continue
        entries = digest(session, owner, row)
        text = format_digest(owner, row, entries)
        enqueue(session, owner_id=owner.id, channel_id=channel.id, platform=channel.platform,
                kind="digest", key=f"digest:{row.id}:{row.ends_at.isoformat()}",
                payload={"to": owner.digest_to["address"], "text": text,
                         "subject": "Ijaza digest",
                         "context": channel_rules(channel).context_for(
                             owner.digest_to["address"], subject="Ijaza digest",
                             unsolicited=True)},
                now=now)
        count += 1
    return count


_DIGEST: dict[str, dict[str, Any]] = {  # Any: phrases, and the four plural forms
    "ar": {"intro": "أهلًا بعودتك! راسلك خلال {title} {count}:", "nobody": "- لم يراسلك أحد. بداية موفقة!",
           "urgent": "عاجل — ", "messages": "رسائل", "message": "رسالة", "last": "آخر رسالة",
           "unknown": "غير معروف", "break": "الإجازة", "clients": ("عميل واحد", "عميلان", "{n} عملاء", "{n} عميلًا")},
    "en": {"intro": "Welcome back! While you were away ({title}), {count} wrote:",
           "nobody": "- nobody. Enjoy your first day back.", "urgent": "URGENT — ",
           "messages": "messages", "message": "message", "last": "last",
           "unknown": "unknown", "break": "your time off", "clients": ("1 client", "2 clients", "{n} clients", "{n} clients")},
}


def _clients(n: int, words: tuple[str, str, str, str]) -> str:
    if n == 1:
        return words[0]
    if n == 2:
        return words[1]
    return (words[2] if 3 <= n <= 10 else words[3]).format(n=n)


def format_digest(owner: Owner, window: WindowRow, entries: list[DigestEntry]) -> str:
    """The digest as the owner reads it: in their first language, times in their timezone,
    urgent clients first and each client's urgent message before their last one."""
    language = owner.languages[0] if owner.languages and owner.languages[0] in _DIGEST else "en"
    words = _DIGEST[language]
    tz = validation.zone(owner.timezone)
    title = rendering.title_of(window.title, language) or words["break"]
    lines = [words["intro"].format(title=title, count=_clients(len(entries), words["clients"]))]
    for entry in entries:
        who = text.clean_name(entry.name or entry.address) or words["unknown"]
        mark = words["urgent"] if entry.urgent else ""
        count = f"{entry.messages} {words['messages'] if entry.messages != 1 else words['message']}"
        when = rendering.spoken_instant(entry.last_at, language, tz,
                                        this_year=window.ends_at.astimezone(tz).year,
                                        with_hijri=False, with_zone=False)
        shown = entry.urgent_text if entry.urgent and entry.urgent_text else entry.last_text
        snippet = (shown or "").strip().replace("\n", " ")[:140]
        line = f"- {mark}{who} ({entry.channel}, {count}, {words['last']}: {when}): {snippet}"
        if entry.urgent and entry.urgent_text and entry.last_text and (
                entry.last_text != entry.urgent_text):
            line += f" — {words['last']}: {entry.last_text.strip().replace(chr(10), ' ')[:140]}"
        lines.append(text.isolate(line, language))
    if not entries:
        lines.append(words["nobody"])
    return "\n".join(lines)
