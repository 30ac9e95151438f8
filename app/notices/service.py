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

from babel import Locale
from sqlalchemy.orm import Session

from app import clock, validation
from app.connections import repository as channels
from app.connections.models import ChannelRow
from app.connections.service import channel_rules
from app.contacts.models import Contact
from app.contacts.outreach import delivery_to, first_write_channel
from app.decisions.models import EventRow
from app.domain import availability, rendering, text
from app.domain.decision import NOTICE_LOOKAHEAD
from app.domain.model import Policy, Status, Window
from app.notices import repository
from app.outbox.service import enqueue, enqueue_many
from app.owners import repository as owners
from app.owners.models import Owner
from app.replies import service as replies
from app.windows.computed import Moved
from app.windows.models import WindowRow
from app.windows.policy import policies_of, policy_of, to_domain

# Clients planned per statement (and, for advance notices, per transaction): memory and a
# transaction's length stay bounded whatever the audience.
BATCH = 500


@dataclass(frozen=True, slots=True)
class Recipient:
    """A client to tell (their contact: a Contact or a read-only row of one), on which
    channel (None: recorded only, the channel is gone), under which delivery key."""

    contact: Any
    channel: ChannelRow | None
    key: str


def _language_tone(owner: Owner, contact: Any) -> tuple[str, str]:
    language = contact.language or (owner.languages[0] if owner.languages else "ar")
    return language, contact.tone or owner.tone


class _Broadcast:
    """Messages nobody asked for, to many clients of one or more owners, written together:
    rendered per recipient (one draft per owner, window, language and tone, the name put in
    per client), then recorded as events of the situation (the audit trail, and what the
    once-only checks look for) and queued where there is a channel — one INSERT for the
    events and one for the deliveries, whatever the number of recipients."""

    def __init__(self, situation: str, delivery_kind: str, now: datetime) -> None:
        self.situation, self.delivery_kind, self.now = situation, delivery_kind, now
        self.events: list[dict[str, Any]] = []
        self.deliveries: list[tuple[Owner, str, Recipient, rendering.RenderedReply]] = []

    def add(self, session: Session, owner: Owner, policy: Policy, recipients: list[Recipient],
            *, window: Window, back_at: datetime, reply_by: datetime,
            old_back_at: datetime | None = None) -> None:
        situation, now = self.situation, self.now
        decision = {"kind": situation, "window_id": window.id}
        drafts: dict[tuple[str, str, str], rendering.ReplyDraft] = {}
        for r in recipients:
            language, tone = _language_tone(owner, r.contact)
            channel = replies.channel_kind(r.contact.channel, r.contact.address)
            draft = drafts.get((language, tone, channel))
            if draft is None:
                draft = drafts[(language, tone, channel)] = replies.draft(
                    session, owner, policy, situation=situation, language=language, tone=tone,
                    window=window, back_at=back_at, reply_by=reply_by,
                    old_back_at=old_back_at, channel=channel, at=now)
            reply = draft.for_contact(r.contact.name, f"{r.contact.client_key}:{window.id}")
            self.events.append({
                "owner_id": owner.id, "contact_id": r.contact.id,
                "client_key": r.contact.client_key, "source": "scheduler", "dedupe_key": None,
                "kind": situation, "at": now, "text": None, "status": "available",
                "window_id": window.id, "urgent": False, "suppressed": None,
                "situation": situation, "replied_at": now, "reply_text": reply.text,
                "language": language, "tone": tone, "back_at": None, "reply_by": None,
                "decision": decision, "created_at": now})
            if r.channel is not None:
                self.deliveries.append((owner, window.id, r, reply))

    def write(self, session: Session) -> int:
        """Record and queue what was added; returns the deliveries queued."""
        ids = repository.add_events(session, self.events, situation=self.situation,
                                    at=self.now)
        enqueue_many(session, [
            delivery_to(owner, r.contact, r.channel, text=reply.text, subject=reply.subject,
                        kind=self.delivery_kind, key=r.key,
                        event_id=ids.get((owner.id, window_id, r.contact.client_key)),
                        now=self.now)
            for owner, window_id, r, reply in self.deliveries if r.channel is not None])
        return len(self.deliveries)


def queue_corrections(session: Session, moved: list[Moved]) -> int:
    """One correction to every client who was told a window's old dates (set-based: the
    clients with their contacts, their channels and their owners' windows read with a
    statement each per 500, the corrections written with one statement for the events and
    one for the deliveries)."""
    now = clock.now()
    told_of = repository.told_contacts(session, [item.after for item in moved])
    moved = [item for item in moved if told_of.get(item.after.id)]
    if not moved:
        return 0  # nobody was given the old dates (a confirmation moves many such)
    contacts = [c for item in moved for c in told_of[item.after.id]]
    channel_of = {c.id: c for c in channels.many(
        session, {c.last_channel_id for c in contacts if c.last_channel_id})}
    # the owners being re-planned are in the session already: no read
    owner_of = {o.id: o for o in (owners.get(session, owner_id)
                                  for owner_id in {c.owner_id for c in contacts}) if o}
    policies = policies_of(session, list(owner_of.values()), now)
    replies.remember_templates(session, list(owner_of), "correction")
    broadcast = _Broadcast("correction", "correction", now)
    for item in moved:
        owner = owner_of.get(item.after.owner_id)
        if owner is None:
            continue
        # recorded even where the channel is gone: the audit trail says they were owed one
        recipients = [Recipient(contact, channel_of.get(contact.last_channel_id or ""), (
            f"correction:{item.after.id}:{item.after.starts_at.isoformat()}:"
            f"{item.after.ends_at.isoformat()}:{contact.client_key}"))
            for contact in told_of[item.after.id]]
        policy = policies[owner.id]
        old_back = availability.back_at(policy, item.before.ends_at)
        _, back_at, reply_by = availability.timing(policy, item.after.ends_at)
        broadcast.add(session, owner, policy, recipients, window=to_domain(item.after),
                      back_at=back_at, reply_by=reply_by, old_back_at=old_back)
    return broadcast.write(session)


def notice_windows(session: Session, now: datetime) -> list[str]:
    """The off windows whose notice period has begun, by owner and start."""
    return [row.id for row in repository.off_windows_starting(session, now, NOTICE_LOOKAHEAD)
            if row.notice_days > 0 and row.starts_at - timedelta(days=row.notice_days) <= now]


def notify_audience_batch(session: Session, window_id: str, now: datetime, *,
                          after: str | None, batch: int = BATCH) -> tuple[int, str | None]:
    """Advance notices about one window to the next ``batch`` clients who have not had one
    (by client key, after ``after``), in the owner's working time only. Returns the
    notices queued and where the next batch starts (None: no client is left)."""
    row = session.get(WindowRow, window_id)
    owner = owners.get(session, row.owner_id) if row is not None else None
    if row is None or owner is None:
        return 0, None
    policy = policy_of(session, owner, now)
    if not availability.status_at(policy, now).working:
        return 0, None  # wait for the owner's first working hour
    audience = repository.untold_audience(
        session, owner.id, row.id, now - timedelta(days=owner.notice_audience_days),
        after=after, limit=batch)
    if not audience:
        return 0, None
    recipients = []
    for contact in audience:
        channel = first_write_channel(session, contact, now)
        if channel is not None:
            recipients.append(Recipient(contact, channel,
                                        f"notice:{row.id}:{contact.client_key}"))
    _, back_at, reply_by = availability.timing(policy, row.ends_at)
    broadcast = _Broadcast("advance_notice", "notice", now)
    broadcast.add(session, owner, policy, recipients, window=to_domain(row), back_at=back_at,
                  reply_by=reply_by)
    return broadcast.write(session), audience[-1].client_key if len(audience) == batch else None


def send_advance_notices(session: Session, now: datetime) -> int:
    """Every advance notice due now, in this one transaction (``jobs.advance_notices``
    commits batch by batch instead)."""
    sent = 0
    for window_id in notice_windows(session, now):
        after: str | None = None
        while True:
            queued, after = notify_audience_batch(session, window_id, now, after=after)
            sent += queued
            if after is None:
                break
    return sent


BACK_LOOKBACK = timedelta(days=3)


def back_windows(session: Session, now: datetime, *,
                 lookback: timedelta = BACK_LOOKBACK) -> list[str]:
    """The off windows of owners with ``tell_when_back`` that ended in the last
    ``lookback``: a window that ended longer ago is left alone (a client who wrote before
    a long stretch of other time off has heard from the owner by then)."""
    return [row.id for row in repository.off_windows_ended(session, now, lookback,
                                                           tell_when_back=True)]


def tell_back(session: Session, window_id: str, now: datetime) -> int:
    """Once an off window is over and the owner is working again, tell each client who
    wrote during it (and was told the owner was away) that the owner is back and when to
    expect an answer. Once per client per window."""
    row = session.get(WindowRow, window_id)
    untold = _untold_writers(session, row) if row is not None else []
    owner = owners.get(session, row.owner_id) if row is not None and untold else None
    if row is None or owner is None:
        return 0  # everyone who wrote has been told (the usual case after the first run)
    policy = policy_of(session, owner, now)
    snapshot = availability.status_at(policy, now)
    if not snapshot.working or snapshot.status is Status.OFF:
        return 0  # not back yet: wait for the owner's first working hour
    _, back_at, reply_by = availability.timing(policy, now)
    sent = 0
    for first in range(0, len(untold), BATCH):
        keys = untold[first:first + BATCH]
        contacts = repository.reachable_contacts(session, [(owner.id, k) for k in keys])
        recipients = []
        for client_key in keys:
            contact = contacts.get((owner.id, client_key))
            channel = first_write_channel(session, contact, now) if contact else None
            if contact is not None and channel is not None:
                recipients.append(Recipient(contact, channel, f"back:{row.id}:{client_key}"))
        broadcast = _Broadcast("back", "back", now)
        broadcast.add(session, owner, policy, recipients, window=to_domain(row),
                      back_at=back_at, reply_by=reply_by)
        sent += broadcast.write(session)
    return sent


def send_back_messages(session: Session, now: datetime, *,
                       lookback: timedelta = BACK_LOOKBACK) -> int:
    """For owners with ``tell_when_back``: ``tell_back`` for every window that ended in the
    last ``lookback``, in this one transaction (``jobs.back_messages`` commits per window)."""
    return sum(tell_back(session, window_id, now)
               for window_id in back_windows(session, now, lookback=lookback))


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
        text, subject = format_digest(owner, row, entries), digest_subject(owner, row)
        enqueue(session, owner_id=owner.id, channel_id=channel.id, platform=channel.platform,
                kind="digest", key=f"digest:{row.id}:{row.ends_at.isoformat()}",
                payload={"to": owner.digest_to["address"], "text": text, "subject": subject,
                         "context": channel_rules(channel).context_for(
                             owner.digest_to["address"], subject=subject, unsolicited=True)},
                now=now)
        count += 1
    return count


_DIGEST: dict[str, dict[str, Any]] = {  # Any: phrases, and the plural forms CLDR names
    "ar": {"intro": "أهلًا بعودتك! راسلك {count} خلال {title}:",
           "subject": "من راسلك خلال {title}",
           "nobody": "أهلًا بعودتك! لم يراسلك أحد خلال {title}. بداية موفقة!",
           "urgent": "عاجل — ", "last": "آخر رسالة", "unknown": "غير معروف", "break": "الإجازة",
           "sep": "، ", "email": "البريد الإلكتروني",
           "clients": {"one": "عميل واحد", "two": "عميلان", "few": "{n} عملاء",
                       "many": "{n} عميلًا", "other": "{n} عميل"},
           "messages": {"one": "رسالة واحدة", "two": "رسالتان", "few": "{n} رسائل",
                        "many": "{n} رسالة", "other": "{n} رسالة"}},
    "en": {"intro": "Welcome back! While you were away ({title}), {count} wrote:",
           "subject": "Who wrote while you were away ({title})",
           "nobody": "Welcome back! Nobody wrote while you were away ({title}). Enjoy your "
                     "first day back.", "urgent": "URGENT — ",
           "last": "last", "unknown": "unknown", "break": "your time off", "sep": ", ",
           "email": "email",
           "clients": {"one": "1 client", "other": "{n} clients"},
           "messages": {"one": "1 message", "other": "{n} messages"}},
}
# How the digest names where a client wrote (the platforms keep their own names).
_PLATFORMS = {"whatsapp": "WhatsApp", "telegram": "Telegram", "slack": "Slack", "twilio": "SMS",
              "sms": "SMS", "api": "API", "generic": "webhook"}


def _counted(n: int, language: str, forms: dict[str, str]) -> str:
    """«رسالتان», «11 رسالة», "3 messages": the number with its noun in the plural form
    the language gives it (Arabic has six; CLDR's rules, through babel)."""
    form = Locale.parse(language).plural_form(n)
    return forms.get(form, forms["other"]).format(n=n)


def _digest_words(owner: Owner, window: WindowRow) -> tuple[str, dict[str, Any], str]:
    """The owner's first language (if the digest has its words), those words, and the
    break's name in it."""
    language = owner.languages[0] if owner.languages and owner.languages[0] in _DIGEST else "en"
    words = _DIGEST[language]
    return language, words, rendering.title_of(window.title, language) or words["break"]


def digest_subject(owner: Owner, window: WindowRow) -> str:
    """The digest's subject, in the owner's first language."""
    _language, words, title = _digest_words(owner, window)
    return str(words["subject"]).format(title=title)


def format_digest(owner: Owner, window: WindowRow, entries: list[DigestEntry]) -> str:
    """The digest as the owner reads it: in their first language, times in their timezone,
    urgent clients first and each client's urgent message before their last one."""
    language, words, title = _digest_words(owner, window)
    tz = validation.zone(owner.timezone)
    if not entries:
        return str(words["nobody"]).format(title=title)
    lines = [words["intro"].format(title=title,
                                   count=_counted(len(entries), language, words["clients"]))]
    for entry in entries:
        who = text.clean_name(entry.name or entry.address) or words["unknown"]
        mark = words["urgent"] if entry.urgent else ""
        via = words["email"] if entry.channel == "email" else _PLATFORMS.get(
            entry.channel or "", entry.channel or words["unknown"])
        count = _counted(entry.messages, language, words["messages"])
        when = rendering.spoken_instant(entry.last_at, language, tz,
                                        this_year=window.ends_at.astimezone(tz).year,
                                        with_hijri=False, with_zone=False)
        shown = entry.urgent_text if entry.urgent and entry.urgent_text else entry.last_text
        snippet = (shown or "").strip().replace("\n", " ")[:140]
        about = words["sep"].join((via, count, f"{words['last']}: {when}"))
        line = f"- {mark}{who} ({about}): {snippet}"
        if entry.urgent and entry.urgent_text and entry.last_text and (
                entry.last_text != entry.urgent_text):
            line += f" — {words['last']}: {entry.last_text.strip().replace(chr(10), ' ')[:140]}"
        lines.append(text.isolate(line, language))
    return "\n".join(lines)
