"""One inbound message → a decision, recorded in ``event`` (unless a dry run)."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import validation
from app.contacts.models import Contact
from app.db import insert_for
from app.decisions import repository
from app.decisions.models import EventRow, OwnerActivity
from app.decisions.schemas import DecisionOut, ReplyOut, WindowOut
from app.domain import availability, hours, rendering, text
from app.domain.decision import Inquiry, OwnerTraits, Verdict, decide
from app.domain.model import Policy, Window
from app.metrics import DECISIONS
from app.owners.models import Owner
from app.windows import repository as windows_repository
from app.windows.service import to_domain

LOOKBEHIND = timedelta(days=1)
LOOKAHEAD = timedelta(days=200)


@dataclass(frozen=True, slots=True)
class Message:
    """An inbound message in the service's terms (from the API or a channel)."""

    channel: str
    address: str
    text: str
    at: datetime
    name: str | None = None
    language: str | None = None
    tone: str | None = None
    subject: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    language_hint: str | None = None
    suppressed: str | None = None
    source: str = "api"
    dedupe_key: str | None = None
    channel_id: str | None = None


@dataclass(slots=True)
class Outcome:
    decision: DecisionOut
    verdict: Verdict | None
    reply: rendering.RenderedReply | None
    contact: Contact | None
    event: EventRow | None
    duplicate: bool = False


@lru_cache(maxsize=4096)
def _traits(owner_id: str, updated_at: datetime, languages: tuple[str, ...], tone: str,
            keywords: tuple[str, ...] | None, reply_once_per: str) -> OwnerTraits:
    return OwnerTraits(languages=languages, tone=tone,
                       urgent_keywords=keywords if keywords else text.default_urgent_keywords(),
                       reply_once_per=hours.parse_duration(reply_once_per))


def traits_of(owner: Owner) -> OwnerTraits:
    return _traits(owner.id, owner.updated_at, tuple(owner.languages), owner.tone,
                   tuple(owner.urgent_keywords) if owner.urgent_keywords else None,
                   owner.reply_once_per)


@lru_cache(maxsize=4096)
def _weekly(owner_id: str, updated_at: datetime, tz: str, spec: str,
            response_time: str) -> tuple[Any, Any, timedelta]:
    import json

    return (validation.zone(tz), hours.parse_working_hours(json.loads(spec)),
            hours.parse_duration(response_time))


def policy_of(session: Session, owner: Owner, at: datetime) -> Policy:
    """The owner's policy around ``at``: a bounded slice of windows, whatever the history."""
    import json

    tz, weekly, response_time = _weekly(owner.id, owner.updated_at, owner.timezone,
                                        json.dumps(owner.working_hours, sort_keys=True),
                                        owner.response_time)
    start, end = at - LOOKBEHIND, at + LOOKAHEAD
    rows = windows_repository.overlapping(session, owner.id, start, end)
    rows += _computed_beyond_horizon(session, owner, start, end, {r.id for r in rows})
    return Policy(timezone=tz, working_hours=weekly, response_time=response_time,
                  windows=tuple(to_domain(r) for r in rows))


def _computed_beyond_horizon(session: Session, owner: Owner, start: datetime, end: datetime,
                             stored: set[str]) -> list[Any]:
    """Rule windows are stored for the coming months only; past that, compute them."""
    from app import clock
    from app.country_calendar.service import rule_windows
    from app.windows.service import horizon

    today = clock.now().date()
    first, last = horizon(today)
    tz = validation.zone(owner.timezone)
    if start.astimezone(tz).date() >= first and end.astimezone(tz).date() <= last:
        return []
    made = rule_windows(session, owner, start.astimezone(tz).date(), end.astimezone(tz).date(),
                        today=today)
    return [m.row for m in made
            if m.row.id not in stored and m.row.ends_at > start and m.row.starts_at < end]


def window_out(window: Window | None, tz: Any) -> WindowOut | None:
    if window is None:
        return None
    return WindowOut(
        id=window.id, kind=str(window.kind), occasion=window.occasion, title=dict(window.title),
        starts_at=window.starts_at.astimezone(tz), ends_at=window.ends_at.astimezone(tz),
        tentative=window.tentative,
        earliest_end=window.earliest_end.astimezone(tz) if window.earliest_end else None,
        latest_end=window.latest_end.astimezone(tz) if window.latest_end else None)


def _contact_for(session: Session, owner: Owner, message: Message, *,
                 dry_run: bool) -> Contact | None:
    stmt = select(Contact).where(Contact.owner_id == owner.id, Contact.channel == message.channel,
                                 Contact.address == message.address)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # one decision per client at a time
    contact = session.scalars(stmt).first()
    if dry_run:
        return contact
    if contact is None:
        cid = "c_" + secrets.token_hex(8)
        # INSERT … ON CONFLICT DO NOTHING: a client writing twice at once gets one contact,
        # without a savepoint on the hot path.
        session.execute(insert_for(session, Contact).values(
            id=cid, owner_id=owner.id, channel=message.channel, address=message.address,
            name=message.name, language=message.language, tone=message.tone, vip=False,
            opted_out=False, client_key=cid, created_at=message.at, updated_at=message.at,
        ).on_conflict_do_nothing(index_elements=["owner_id", "channel", "address"]))
        contact = session.scalars(stmt).one()
    else:
        if message.name and not contact.name:
            contact.name = message.name
        if message.language and not contact.language:
            contact.language = message.language
        if message.tone and not contact.tone:
            contact.tone = message.tone
    contact.last_seen_at = message.at
    if message.channel_id:
        contact.last_channel_id = message.channel_id
    if text.is_opt_out(message.text):
        contact.opted_out = True
    return contact


def template_source(session: Session, owner: Owner, situation: str, language: str,
                    tone: str) -> str | None:
    from app.templates.repository import get as get_template

    row = get_template(session, owner.id, situation, language, tone)
    return row.source if row is not None else None


def render(session: Session, owner: Owner, policy: Policy, *, situation: str, language: str,
           tone: str, window: Window | None, back_at: datetime, reply_by: datetime,
           urgent: bool = False, contact_name: str | None = None, subject: str | None = None,
           old_back_at: datetime | None = None,
           source: str | None = None) -> rendering.RenderedReply:
    """The reply text; ``source`` overrides the saved or default template (previews)."""
    ctx = rendering.ReplyContext(
        language=language, tone=tone, owner_name=owner.name, contact_name=contact_name,
        occasion=window.occasion if window else None,
        occasion_title=dict(window.title) if window and window.title else None,
        period_start=window.starts_at if window else None,
        period_end=window.ends_at if window else None,
        back_at=back_at, reply_by=reply_by, urgent_contact=owner.urgent_contact,
        tentative=bool(window and window.tentative),
        earliest_end=window.earliest_end if window else None,
        latest_end=window.latest_end if window else None,
        timezone=policy.timezone, urgent=urgent, original_subject=subject,
        old_back_at=old_back_at)
    shift = hijri_shift(session, owner, window)
    if shift:
        ctx = dataclasses.replace(ctx, hijri_shift_days=shift)
    if source is None:
        source = template_source(session, owner, situation, language, tone)
    return rendering.render_reply(situation, ctx, source=source)


HIJRI_OCCASIONS = frozenset({"ramadan", "eid_al_fitr", "arafah", "eid_al_adha",
                             "islamic_new_year", "ashura", "mawlid"})


def hijri_shift(session: Session, owner: Owner, window: Window | None) -> int:
    """How many days the country's Hijri month runs behind Umm al-Qura around this window
    (after an observed or confirmed sighting), so a reply's Hijri dates match it."""
    if window is None or window.occasion not in HIJRI_OCCASIONS:
        return 0
    from app import clock
    from app.country_calendar.repository import active_confirmations
    from app.domain import hijri, occasions, rules

    try:
        occasion, hijri_year = rules.occurrence_key(window.id)
        if hijri_year is None or occasion != window.occasion:
            return 0
        found = occasions.occurrence(owner.country, occasion, hijri_year,
                                     today=clock.now().date(),
                                     confirmations=active_confirmations(session, owner.country))
        if not found.hijri_date:
            return 0
        year, month, day = (int(part) for part in found.hijri_date.split("-"))
        return (found.date - hijri.to_gregorian(year, month, day)).days
    except (ValueError, LookupError):
        return 0


def render_verdict(session: Session, owner: Owner, policy: Policy, verdict: Verdict, *,
                   situation: str, contact_name: str | None, subject: str | None,
                   window: Window | None = None,
                   source: str | None = None) -> rendering.RenderedReply:
    """The reply for a decision; an advance notice speaks of the coming window."""
    window = window or verdict.notice_window or verdict.window
    back_at, reply_by = verdict.back_at, verdict.reply_by
    if situation == "advance_notice" and window is not None:
        back_at = availability.back_at(policy, window.ends_at)
        reply_by = availability.reply_by(policy, window.ends_at)
    return render(session, owner, policy, situation=situation, language=verdict.language,
                  tone=verdict.tone, window=window, back_at=back_at, reply_by=reply_by,
                  urgent=verdict.urgent, contact_name=contact_name, subject=subject,
                  source=source)


def evaluate(session: Session, owner: Owner, message: Message, *,
             dry_run: bool = False) -> Outcome:
    """Decide for one message; record it unless ``dry_run``. Idempotent per dedupe key."""
    # The contact is taken (and on PostgreSQL locked) first, so that a platform's retry of
    # the same event waits here and then finds the first delivery's event.
    contact = _contact_for(session, owner, message, dry_run=dry_run)
    if message.dedupe_key and not dry_run:
        seen = repository.by_dedupe(session, owner.id, message.source, message.dedupe_key)
        if seen is not None:
            return _duplicate(seen)
    policy = policy_of(session, owner, message.at)
    client_key = contact.client_key if contact is not None else None
    history = repository.past_replies(session, owner.id, client_key) if client_key else []
    active = repository.owner_active(session, owner.id, client_key, message.at)
    inquiry = Inquiry(
        at=message.at, text=message.text,
        contact_language=(contact.language if contact and contact.language else message.language),
        contact_tone=(contact.tone if contact and contact.tone else message.tone),
        language_hint=message.language_hint, vip=bool(contact and contact.vip),
        opted_out=bool(contact and contact.opted_out), suppressed=message.suppressed)
    verdict = decide(policy, inquiry, traits_of(owner), history, owner_active=active)
    reply = None
    if verdict.replies:
        assert verdict.situation is not None
        reply = render_verdict(session, owner, policy, verdict, situation=verdict.situation,
                       contact_name=(contact.name if contact and contact.name else message.name),
                       subject=message.subject)
    decision = _decision_out(policy, verdict, message.at, reply, contact)
    if not dry_run:
        DECISIONS.labels(str(verdict.status),
                         "replied" if reply else (verdict.suppressed or "no_reply")).inc()
    event = None
    if not dry_run:
        event = EventRow(
            owner_id=owner.id, contact_id=contact.id if contact else None,
            client_key=client_key, source=message.source, dedupe_key=message.dedupe_key,
            kind="inbound", at=message.at, text=message.text, status=str(verdict.status),
            window_id=(verdict.notice_window or verdict.window).id
            if (verdict.notice_window or verdict.window) else None,
            urgent=verdict.urgent, suppressed=verdict.suppressed, situation=verdict.situation,
            replied_at=message.at if reply is not None else None,
            reply_text=reply.text if reply else None, language=verdict.language,
            tone=verdict.tone, back_at=verdict.back_at, reply_by=verdict.reply_by,
            decision={}, created_at=message.at)
        # No savepoint: the duplicate check above runs under the client's lock (the contact
        # row on PostgreSQL, the write lock on SQLite), so the unique index is a last guard.
        session.add(event)
        session.flush()
        decision.event_id = event.id
        event.decision = decision.model_dump(mode="json")
    return Outcome(decision=decision, verdict=verdict, reply=reply, contact=contact, event=event)


def _duplicate(seen: EventRow) -> Outcome:
    decision = DecisionOut.model_validate(seen.decision)
    return Outcome(decision=decision, verdict=None, reply=None, contact=None, event=seen,
                   duplicate=True)


def _decision_out(policy: Policy, verdict: Verdict, at: datetime,
                  reply: rendering.RenderedReply | None, contact: Contact | None) -> DecisionOut:
    tz = policy.timezone
    return DecisionOut(
        status=str(verdict.status), at=at.astimezone(tz),
        window=window_out(verdict.window, tz), back_at=verdict.back_at.astimezone(tz),
        reply_by=verdict.reply_by.astimezone(tz),
        upcoming=[window_out(w, tz) for w in verdict.upcoming],
        urgent=verdict.urgent,
        reply=ReplyOut(text=reply.text, subject=reply.subject, language=reply.language,
                       tone=reply.tone) if reply else None,
        suppressed=verdict.suppressed, actions=[], contact_id=contact.id if contact else None)


def record_activity(session: Session, owner: Owner, *, client_key: str | None,
                    at: datetime) -> datetime:
    until = at + hours.parse_duration(owner.active_for)
    session.add(OwnerActivity(owner_id=owner.id, client_key=client_key, at=at, until=until))
    session.flush()
    return until
