"""One inbound message → a decision, recorded in ``event`` (unless a dry run)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy.orm import Session

from app import clock
from app.connections.models import ChannelRow
from app.db import ordered_id
from app.decisions import actions, repository
from app.decisions.schemas import DecisionOut, ReplyOut, WindowOut, status_name
from app.domain import hours, rendering, text
from app.domain.decision import Client, OwnerTraits, PastReply, Verdict, decide
from app.domain.model import InboundMessage, Policy, Window
from app.metrics import decision_counter
from app.outbox.service import enqueue_many, pending
from app.owners import service as owners
from app.owners.models import Owner
from app.replies import service as replies
from app.windows.policy import LOOKBEHIND, policy_of


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
        """The decision as the API answers it."""
        return self.decision.model_dump_json()


@overload
def window_out(window: Window, tz: Any) -> WindowOut: ...
@overload
def window_out(window: None, tz: Any) -> None: ...
def window_out(window: Window | None, tz: Any) -> WindowOut | None:
    if window is None:
        return None
    return WindowOut(
        id=window.id, kind=str(window.kind), occasion=window.occasion, title=dict(window.title),
        starts_at=window.starts_at.astimezone(tz), ends_at=window.ends_at.astimezone(tz),
        tentative=window.tentative,
        earliest_end=window.earliest_end.astimezone(tz) if window.earliest_end else None,
        latest_end=window.latest_end.astimezone(tz) if window.latest_end else None)


@dataclass(slots=True)
class Request:
    """One message to decide for one owner. ``channel`` is the webhook's channel: the reply
    goes back through it (the message's ``reply_context`` says where); ``source`` is where
    the message came in (``api`` or the channel's id), which its dedupe key is unique in."""

    owner: Owner
    message: InboundMessage
    dry_run: bool = False
    channel: ChannelRow | None = None
    sender: tuple[str, str, str] = field(init=False)  # the contact's key: (owner, platform, address)

    def __post_init__(self) -> None:
        self.sender = (self.owner.id, self.message.platform, self.message.address)

    @property
    def source(self) -> str:
        return self.channel.id if self.channel is not None else "api"


def evaluate(session: Session, owner: Owner, message: InboundMessage, *,
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
            dedupe = (owner.id, request.source, message.dedupe_key)
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
            dict(message.reply_context))
        # Recorded without ``event_id``: it is the row's own id, added on reading.
        outcome.stored = outcome.decision.model_dump_json(exclude={"event_id"})
        events.append(_event_row(request, outcome))
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
            (r.owner.id, r.source, r.message.dedupe_key) for r in requests
            if r.message.dedupe_key and not r.dry_run}))
        self.histories = _histories(session, requests, self.contacts, created)
        self.spans = _spans(requests)
        self.activity = {owner_id: repository.activity_between(session, owner_id, first, last)
                         for owner_id, (first, last) in self.spans.items()}
        self.policies: dict[tuple[str, Any], Policy] = {}
        self.window_outs: dict[tuple[int, Any], tuple[Window, WindowOut]] = {}
        self.traits: dict[str, OwnerTraits] = {}

    def decide(self, request: Request) -> Outcome:
        owner, message = request.owner, request.message
        at = message.received_at.astimezone(UTC)  # the policy is indexed in UTC
        contact = self.contacts.get(request.sender)
        client_key = contact.client_key if contact is not None else None
        history = self.histories.setdefault((owner.id, client_key), []) if client_key else []
        policy = self.policy(owner, at)
        traits = self.traits.get(owner.id)
        if traits is None:
            traits = self.traits[owner.id] = owners.traits_of(owner)
        verdict = decide(policy, message, _client(contact), traits, history,
                         owner_active=self.owner_active(owner.id, client_key, at), at=at)
        reply = None
        if verdict.replies:
            assert verdict.situation is not None
            reply = replies.render_verdict(
                self.session, owner, policy, verdict, situation=verdict.situation,
                contact_name=(contact.name if contact and contact.name else message.name),
                subject=message.subject,
                channel=replies.channel_kind(message.platform, message.address),
                client_key=client_key or message.address)
        if reply is not None and not request.dry_run:
            # A client writing twice in one batch is throttled as if the batch were serial.
            history.insert(0, PastReply(at=at, situation=verdict.situation or "",
                                        window_id=_window_id(verdict)))
        if not request.dry_run:
            decision_counter(str(verdict.status),
                             "replied" if reply else (verdict.suppressed or "no_reply")).inc()
        tz = policy.timezone
        return Outcome(decision=_decision_out(policy, verdict, message.received_at, reply, contact,
                                              lambda window: self.window_out(window, tz)),
                       verdict=verdict, reply=reply, contact=contact, event_id=None)

    @overload
    def window_out(self, window: Window, tz: Any) -> WindowOut: ...
    @overload
    def window_out(self, window: None, tz: Any) -> None: ...
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
        message, key, at = request.message, request.sender, request.message.received_at
        row = merged.get(key)
        if row is None:
            cid = ordered_id("c_")
            row = merged[key] = {
                "id": cid, "owner_id": key[0], "channel": key[1], "address": key[2],
                "name": None, "language": None, "tone": None, "vip": False,
                "opted_out": False, "client_key": cid, "last_channel_id": None,
                "reply_context": None, "created_at": at, "updated_at": at}
        row["name"] = row["name"] or message.name
        row["language"] = row["language"] or message.language
        row["tone"] = row["tone"] or message.tone
        row["last_seen_at"] = at
        row["opted_out"] = row["opted_out"] or text.is_opt_out(message.text)
        if request.channel is not None:  # a webhook's message: answer where it came from
            row["last_channel_id"] = request.channel.id
            row["reply_context"] = dict(message.reply_context)
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
        at = request.message.received_at
        first, last = spans.get(request.owner.id, (at, at))
        spans[request.owner.id] = (min(first, at), max(last, at))
    return spans


def _client(contact: Any) -> Client:
    if contact is None:
        return Client()
    return Client(language=contact.language, tone=contact.tone, vip=bool(contact.vip),
                  opted_out=bool(contact.opted_out))


def _window_id(verdict: Verdict) -> str | None:
    window = verdict.notice_window or verdict.window
    return window.id if window else None


def _event_row(request: Request, outcome: Outcome) -> dict[str, Any]:
    owner, message = request.owner, request.message
    verdict, reply, contact = outcome.verdict, outcome.reply, outcome.contact
    assert verdict is not None
    return {
        "owner_id": owner.id, "contact_id": contact.id if contact is not None else None,
        "client_key": contact.client_key if contact is not None else None,
        "source": request.source, "dedupe_key": message.dedupe_key,
        "kind": "inbound", "at": message.received_at, "text": message.text,
        "status": str(verdict.status), "window_id": _window_id(verdict),
        "urgent": verdict.urgent, "suppressed": verdict.suppressed,
        "situation": verdict.situation,
        "replied_at": message.received_at if reply is not None else None,
        "reply_text": reply.text if reply else None, "language": verdict.language,
        "tone": verdict.tone, "back_at": verdict.back_at, "reply_by": verdict.reply_by,
        "decision": outcome.stored, "created_at": message.received_at}


def stored_decision(event_id: int, stored: dict[str, Any] | None) -> dict[str, Any]:
    """A recorded event's decision as the API gives it."""
    return {**(stored or {}), "event_id": event_id}


def _duplicate(event_id: int, stored: dict[str, Any]) -> Outcome:
    decision = DecisionOut.model_validate(stored_decision(event_id, stored))
    return Outcome(decision=decision, verdict=None, reply=None, contact=None,
                   event_id=event_id, duplicate=True)


def _decision_out(policy: Policy, verdict: Verdict, at: datetime,
                  reply: rendering.RenderedReply | None, contact: Any,
                  out: Callable[[Window], WindowOut]) -> DecisionOut:
    """The decision as the API gives it; ``out`` gives a window's ``WindowOut`` (a batch
    shares one per window)."""
    tz = policy.timezone
    return DecisionOut(
        status=status_name(verdict.status), at=at.astimezone(tz),
        window=out(verdict.window) if verdict.window is not None else None,
        back_at=verdict.back_at.astimezone(tz),
        reply_by=verdict.reply_by.astimezone(tz),
        upcoming=[out(w) for w in verdict.upcoming],
        urgent=verdict.urgent,
        reply=ReplyOut(text=reply.text, subject=reply.subject, language=reply.language,
                       tone=reply.tone) if reply else None,
        suppressed=verdict.suppressed, reason=verdict.reason, actions=[],
        contact_id=contact.id if contact else None)


def record_unanswered(session: Session, owner: Owner, *, source: str, reason: str,
                      dedupe_key: str, at: datetime) -> None:
    """A message that reached the owner's channel and was not answered, recorded as an
    event of kind ``not_answered`` so the owner sees it in their activity (once: a platform
    retry of the same body finds it)."""
    if repository.seen_events(session, [(owner.id, source, dedupe_key)]):
        return
    repository.add_unanswered(session, owner.id, source=source, reason=reason,
                              dedupe_key=dedupe_key, at=at, now=clock.now())


def record_activity(session: Session, owner: Owner, *, client_key: str | None,
                    at: datetime) -> datetime:
    until = at + hours.parse_duration(owner.active_for)
    repository.add_activity(session, owner.id, client_key=client_key, at=at, until=until)
    return until
