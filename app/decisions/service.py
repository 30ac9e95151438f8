"""One inbound message → a decision, recorded in ``event`` (unless a dry run)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from app import clock, validation
from app.connections.models import ChannelRow
from app.db import ordered_id
from app.decisions import actions, repository
from app.decisions.models import OwnerActivity
from app.decisions.schemas import DecisionOut, ReplyOut, WindowOut
from app.domain import availability, hours, rendering, text
from app.domain.decision import Inquiry, OwnerTraits, PastReply, Verdict, decide
from app.domain.model import Policy, Window
from app.metrics import decision_counter
from app.outbox.service import enqueue_many, pending
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
    contact: Any  # the contact's columns (a row), None on a dry run for a new client
    event_id: int | None
    duplicate: bool = False
    stored: str | None = None  # the decision as recorded (JSON without ``event_id``)

    def json(self) -> str:
        """The decision as the API answers it: the recorded JSON plus its event id, not
        encoded a second time."""
        if self.stored is None or self.event_id is None:
            return self.decision.model_dump_json()
        return f'{self.stored[:-1]},"event_id":{self.event_id}}}'


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


def policy_of(session: Session, owner: Owner, at: datetime, *,
              until: datetime | None = None) -> Policy:
    """The owner's policy around ``at`` (to ``until``): a bounded slice of windows, whatever
    the history."""
    import json

    tz, weekly, response_time = _weekly(owner.id, owner.updated_at, owner.timezone,
                                        json.dumps(owner.working_hours, sort_keys=True),
                                        owner.response_time)
    start, end = at - LOOKBEHIND, (until or at) + LOOKAHEAD
    rows = windows_repository.around(session, owner.id, start, end)
    rows += _computed_beyond_horizon(session, owner, start, end, {r.id for r in rows})
    return Policy(timezone=tz, working_hours=weekly, response_time=response_time,
                  windows=tuple(to_domain(r) for r in rows))


def _computed_beyond_horizon(session: Session, owner: Owner, start: datetime, end: datetime,
                             stored: set[str]) -> list[Any]:
    """Rule windows are stored for the coming months only; past that, compute them."""
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


def _remembered(session: Session, what: str, key: Any, load: Callable[[], Any]) -> Any:
    """``load()`` once per session for ``(what, key)``: a batch of decisions reads each
    owner's templates and each country's confirmations once, not once per reply."""
    memo = session.info.setdefault(what, {})
    if key not in memo:
        memo[key] = load()
    return memo[key]


def template_source(session: Session, owner: Owner, situation: str, language: str,
                    tone: str) -> str | None:
    from app.templates.repository import source_of

    def load() -> str | None:
        return source_of(session, owner.id, situation, language, tone)

    # Most owners keep the defaults, and a template that is not there is not in the
    # identity map either: without the memo every reply would ask again.
    return _remembered(session, "template_source", (owner.id, situation, language, tone), load)


def render(session: Session, owner: Owner, policy: Policy, *, situation: str, language: str,
           tone: str, window: Window | None, back_at: datetime, reply_by: datetime,
           urgent: bool = False, contact_name: str | None = None, subject: str | None = None,
           old_back_at: datetime | None = None,
           source: str | None = None) -> rendering.RenderedReply:
    """The reply text; ``source`` overrides the saved or default template (previews)."""
    if source is None:
        source = template_source(session, owner, situation, language, tone)
    # Everything but the client's name is the same for every client who writes about the
    # same window in this batch: the draft is written once (rendering.ReplyDraft).
    key = (owner.id, owner.updated_at, policy.timezone.key, situation, language, tone,
           _window_key(window), back_at, reply_by, urgent, subject, old_back_at, source)
    drafts = session.info.setdefault("reply_drafts", {})
    draft = drafts.get(key)
    if draft is None:
        ctx = rendering.ReplyContext(
            language=language, tone=tone, owner_name=owner.name, contact_name=None,
            occasion=window.occasion if window else None,
            occasion_title=dict(window.title) if window and window.title else None,
            period_start=window.starts_at if window else None,
            period_end=window.ends_at if window else None,
            back_at=back_at, reply_by=reply_by, urgent_contact=owner.urgent_contact,
            tentative=bool(window and window.tentative),
            earliest_end=window.earliest_end if window else None,
            latest_end=window.latest_end if window else None,
            timezone=policy.timezone, urgent=urgent, original_subject=subject,
            old_back_at=old_back_at, hijri_shift_days=hijri_shift(session, owner, window))
        draft = drafts[key] = rendering.ReplyDraft(situation, ctx, source=source)
    return draft.for_contact(contact_name)


def _window_key(window: Window | None) -> tuple[Any, ...] | None:
    """What of a window a reply says (a window's id alone may be re-timed by a sighting)."""
    if window is None:
        return None
    return (window.id, window.occasion, tuple(sorted(window.title.items())), window.starts_at,
            window.ends_at, window.tentative, window.earliest_end, window.latest_end)


HIJRI_OCCASIONS = frozenset({"ramadan", "eid_al_fitr", "arafah", "eid_al_adha",
                             "islamic_new_year", "ashura", "mawlid"})


def hijri_shift(session: Session, owner: Owner, window: Window | None) -> int:
    """How many days the country's Hijri month runs behind Umm al-Qura around this window
    (after an observed or confirmed sighting), so a reply's Hijri dates match it."""
    if window is None or window.occasion not in HIJRI_OCCASIONS:
        return 0
    from app.country_calendar.repository import active_confirmations
    from app.domain import hijri, occasions, rules

    try:
        occasion, hijri_year = rules.occurrence_key(window.id)
        if hijri_year is None or occasion != window.occasion:
            return 0
        found = occasions.occurrence(owner.country, occasion, hijri_year,
                                     today=clock.now().date(),
                                     confirmations=_remembered(
                                         session, "confirmations", owner.country,
                                         lambda: active_confirmations(session, owner.country)))
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
        _, back_at, reply_by = availability.timing(policy, window.ends_at)
    return render(session, owner, policy, situation=situation, language=verdict.language,
                  tone=verdict.tone, window=window, back_at=back_at, reply_by=reply_by,
                  urgent=verdict.urgent, contact_name=contact_name, subject=subject,
                  source=source)


@dataclass(slots=True)
class Request:
    """One message to decide for one owner. ``channel`` is the webhook's channel: the reply
    goes back through it (``reply_context`` says where)."""

    owner: Owner
    message: Message
    dry_run: bool = False
    channel: ChannelRow | None = None
    reply_context: dict[str, Any] | None = None
    sender: tuple[str, str, str] = field(init=False)  # the contact's key: (owner, channel, address)

    def __post_init__(self) -> None:
        self.sender = (self.owner.id, self.message.channel, self.message.address)


def evaluate(session: Session, owner: Owner, message: Message, *,
             dry_run: bool = False) -> Outcome:
    """Decide for one message; record it unless ``dry_run``. Idempotent per dedupe key."""
    return decide_many(session, [Request(owner, message, dry_run)])[0]


def decide_many(session: Session, requests: list[Request]) -> list[Outcome]:
    """Decide for many messages in one transaction, in order, as if one after another.

    The statements are per batch, not per message (contacts, retries, recent replies and
    the owner's activity are read together; events and deliveries written together), so a
    burst of messages costs a few statements. Raises on any failure; the caller then rolls
    back and decides the messages one by one, so that one bad message fails alone.
    """
    if not requests:
        return []
    batch = _Batch(session, requests)
    outcomes: list[Outcome] = []
    first_of: dict[tuple[str, str, str], int] = {}
    repeats: list[tuple[int, int]] = []
    events: list[dict[str, Any]] = []
    evented: list[tuple[Outcome, str, list[actions.Send]]] = []
    for request in requests:
        owner, message = request.owner, request.message
        if message.dedupe_key and not request.dry_run:
            dedupe = (owner.id, message.source, message.dedupe_key)
            if dedupe in batch.seen:  # a platform's retry of a delivery recorded before
                outcomes.append(_duplicate(*batch.seen[dedupe]))
                continue
            if dedupe in first_of:  # the same delivery twice in this batch
                repeats.append((len(outcomes), first_of[dedupe]))
                outcomes.append(outcomes[first_of[dedupe]])
                continue
            first_of[dedupe] = len(outcomes)
        outcome = batch.decide(request)
        outcomes.append(outcome)
        if request.dry_run:
            continue
        assert outcome.verdict is not None
        outcome.decision.actions, sends = actions.plan(
            session, owner, message, outcome.verdict, outcome.reply, request.channel,
            request.reply_context)
        # Recorded without ``event_id`` (the row's own id, added on reading); encoded once,
        # for the row and for the answer (``Outcome.json``).
        outcome.stored = outcome.decision.model_dump_json(exclude={"event_id"})
        events.append(_event_row(owner, message, outcome))
        evented.append((outcome, owner.id, sends))
    _record(session, events, evented)
    for index, original in repeats:
        outcomes[index] = Outcome(decision=outcomes[original].decision.model_copy(deep=True),
                                  verdict=None, reply=None, contact=None,
                                  event_id=outcomes[original].event_id, duplicate=True)
    return outcomes


class _Batch:
    """What a batch's decisions read, each loaded with one statement for the whole batch."""

    def __init__(self, session: Session, requests: list[Request]) -> None:
        self.session = session
        self.contacts, created = _contacts(session, requests)
        self.seen = repository.seen_events(session, sorted({
            (r.owner.id, r.message.source, r.message.dedupe_key) for r in requests
            if r.message.dedupe_key and not r.dry_run}))
        self.histories = _histories(session, requests, self.contacts, created)
        self.spans = _spans(requests)
        self.activity = {owner_id: repository.activity_between(session, owner_id, first, last)
                         for owner_id, (first, last) in self.spans.items()}
        self.policies: dict[tuple[str, Any], Policy] = {}
        self.window_outs: dict[tuple[int, Any], tuple[Window, WindowOut | None]] = {}
        self.traits: dict[str, OwnerTraits] = {}

    def decide(self, request: Request) -> Outcome:
        owner, message = request.owner, request.message
        at = message.at.astimezone(UTC)  # the policy is indexed in UTC: compare like with like
        contact = self.contacts.get(request.sender)
        client_key = contact.client_key if contact is not None else None
        history = self.histories.setdefault((owner.id, client_key), []) if client_key else []
        policy = self.policy(owner, at)
        traits = self.traits.get(owner.id)
        if traits is None:
            traits = self.traits[owner.id] = traits_of(owner)
        verdict = decide(policy, _inquiry(message, contact, at), traits, history,
                         owner_active=self.owner_active(owner.id, client_key, at))
        reply = None
        if verdict.replies:
            assert verdict.situation is not None
            reply = render_verdict(
                self.session, owner, policy, verdict, situation=verdict.situation,
                contact_name=(contact.name if contact and contact.name else message.name),
                subject=message.subject)
        if reply is not None and not request.dry_run:
            # A client writing twice in one batch is throttled as if the batch were serial.
            history.insert(0, PastReply(at=at, situation=verdict.situation or "",
                                        window_id=_window_id(verdict)))
        if not request.dry_run:
            decision_counter(str(verdict.status),
                             "replied" if reply else (verdict.suppressed or "no_reply")).inc()
        tz = policy.timezone
        return Outcome(decision=_decision_out(policy, verdict, message.at, reply, contact,
                                              lambda window: self.window_out(window, tz)),
                       verdict=verdict, reply=reply, contact=contact, event_id=None)

    def window_out(self, window: Window | None, tz: Any) -> WindowOut | None:
        """One ``WindowOut`` per window and zone in the batch, shared by its decisions."""
        if window is None:
            return None
        # Keyed by identity; the entry holds the window, so its id cannot be reused.
        key = (id(window), tz)
        found = self.window_outs.get(key)
        if found is None:
            found = self.window_outs[key] = (window, window_out(window, tz))
        return found[1]

    def policy(self, owner: Owner, at: datetime) -> Policy:
        """One policy per owner per batch when the batch's messages are within a day of
        each other (a policy covering them all decides each exactly as its own slice
        would); otherwise one per message."""
        first, last = self.spans[owner.id]
        key: tuple[str, Any] = (owner.id, None) if last - first <= LOOKBEHIND else (owner.id, at)
        if key not in self.policies:
            self.policies[key] = (policy_of(self.session, owner, first, until=last)
                                  if key[1] is None else policy_of(self.session, owner, at))
        return self.policies[key]

    def owner_active(self, owner_id: str, client_key: str | None, at: datetime) -> bool:
        return any((who is None or who == client_key) and start <= at < until
                   for who, start, until in self.activity.get(owner_id, ()))


def _record(session: Session, events: list[dict[str, Any]],
            evented: list[tuple[Outcome, str, list[actions.Send]]]) -> None:
    """Write the batch's events, then the deliveries they ask for (keyed by event id)."""
    ids = repository.insert_events(session, events)
    now = clock.now()
    deliveries = []
    for event_id, (outcome, owner_id, sends) in zip(ids, evented, strict=True):
        outcome.event_id = event_id
        outcome.decision.event_id = event_id
        deliveries += [pending(owner_id=owner_id, channel_id=send.channel_id,
                               platform=send.platform, kind=send.kind,
                               key=f"{send.kind}:{event_id}", payload=send.payload, now=now,
                               event_id=event_id) for send in sends]
    enqueue_many(session, deliveries)


def _contacts(session: Session, requests: list[Request]
              ) -> tuple[dict[tuple[str, str, str], Any], set[str]]:
    """Every sender's contact: created or updated for recorded messages (in key order, which
    is also the lock order on PostgreSQL), looked up only for dry runs; and the client keys
    of the contacts created just now."""
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    with_context: set[tuple[str, str, str]] = set()
    for request in requests:
        if request.dry_run:
            continue
        message, key = request.message, request.sender
        row = merged.get(key)
        if row is None:
            cid = ordered_id("c_")
            row = merged[key] = {
                "id": cid, "owner_id": key[0], "channel": key[1], "address": key[2],
                "name": None, "language": None, "tone": None, "vip": False,
                "opted_out": False, "client_key": cid, "last_channel_id": None,
                "reply_context": None, "created_at": message.at, "updated_at": message.at}
        row["name"] = row["name"] or message.name
        row["language"] = row["language"] or message.language
        row["tone"] = row["tone"] or message.tone
        row["last_seen_at"] = message.at
        row["last_channel_id"] = message.channel_id or row["last_channel_id"]
        row["opted_out"] = row["opted_out"] or text.is_opt_out(message.text)
        if request.reply_context is not None:
            row["reply_context"] = dict(request.reply_context)
            with_context.add(key)
    found: dict[tuple[str, str, str], Any] = {}
    for keep_context in (False, True):
        rows = [merged[k] for k in sorted(merged) if (k in with_context) is keep_context]
        found.update(repository.touch_contacts(session, rows, with_reply_context=keep_context))
    missing = [r.sender for r in requests if r.dry_run and r.sender not in found]
    found.update(repository.find_contacts(session, missing))
    created = {row.client_key for key, row in found.items()
               if key in merged and row.id == merged[key]["id"]}
    return found, created


def _histories(session: Session, requests: list[Request],
               contacts: dict[tuple[str, str, str], Any],
               created: set[str]) -> dict[tuple[str, str], list[PastReply]]:
    """The clients' recent replies; a client first seen in this batch has none."""
    by_owner: dict[str, set[str]] = {}
    for request in requests:
        contact = contacts.get(request.sender)
        if contact is not None and contact.client_key not in created:
            by_owner.setdefault(request.owner.id, set()).add(contact.client_key)
    return {(owner_id, client_key): replies
            for owner_id, keys in by_owner.items()
            for client_key, replies in repository.recent_replies(
                session, owner_id, sorted(keys)).items()}


def _spans(requests: list[Request]) -> dict[str, tuple[datetime, datetime]]:
    """Per owner, the first and last instant the batch's messages were received at."""
    spans: dict[str, tuple[datetime, datetime]] = {}
    for request in requests:
        at = request.message.at
        first, last = spans.get(request.owner.id, (at, at))
        spans[request.owner.id] = (min(first, at), max(last, at))
    return spans


def _inquiry(message: Message, contact: Any, at: datetime) -> Inquiry:
    return Inquiry(
        at=at, text=message.text,
        contact_language=(contact.language if contact and contact.language else message.language),
        contact_tone=(contact.tone if contact and contact.tone else message.tone),
        language_hint=message.language_hint, vip=bool(contact and contact.vip),
        opted_out=bool(contact and contact.opted_out), suppressed=message.suppressed)


def _window_id(verdict: Verdict) -> str | None:
    window = verdict.notice_window or verdict.window
    return window.id if window else None


def _event_row(owner: Owner, message: Message, outcome: Outcome) -> dict[str, Any]:
    verdict, reply, contact = outcome.verdict, outcome.reply, outcome.contact
    assert verdict is not None
    return {
        "owner_id": owner.id, "contact_id": contact.id if contact is not None else None,
        "client_key": contact.client_key if contact is not None else None,
        "source": message.source, "dedupe_key": message.dedupe_key,
        "kind": "inbound", "at": message.at, "text": message.text,
        "status": str(verdict.status), "window_id": _window_id(verdict),
        "urgent": verdict.urgent, "suppressed": verdict.suppressed,
        "situation": verdict.situation,
        "replied_at": message.at if reply is not None else None,
        "reply_text": reply.text if reply else None, "language": verdict.language,
        "tone": verdict.tone, "back_at": verdict.back_at, "reply_by": verdict.reply_by,
        "decision": outcome.stored, "created_at": message.at}


def stored_decision(event_id: int, stored: dict[str, Any] | None) -> dict[str, Any]:
    """A recorded event's decision as the API gives it."""
    return {**(stored or {}), "event_id": event_id}


def _duplicate(event_id: int, stored: dict[str, Any]) -> Outcome:
    decision = DecisionOut.model_validate(stored_decision(event_id, stored))
    return Outcome(decision=decision, verdict=None, reply=None, contact=None,
                   event_id=event_id, duplicate=True)


def _decision_out(policy: Policy, verdict: Verdict, at: datetime,
                  reply: rendering.RenderedReply | None, contact: Any,
                  out: Callable[[Window | None], WindowOut | None]) -> DecisionOut:
    """The decision as the API gives it; ``out`` gives a window's ``WindowOut`` (a batch
    shares one per window)."""
    tz = policy.timezone
    return DecisionOut(
        status=str(verdict.status), at=at.astimezone(tz),
        window=out(verdict.window), back_at=verdict.back_at.astimezone(tz),
        reply_by=verdict.reply_by.astimezone(tz),
        upcoming=[out(w) for w in verdict.upcoming],
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
