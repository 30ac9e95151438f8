"""The decision for one inbound message: status, when the owner is back, when to expect an
answer, whether to reply at all (and why not), in which language and tone.

Pure: the caller loads the owner's policy and the client's recent history; the instant
decided at is the message's ``received_at`` unless the caller passes ``at``. Nothing here
reads a clock or a database.

Order of the checks (the first that applies wins):

1. the channel already said "do not answer" (RFC 3834 and friends) → that reason;
2. the client opted out → ``opted_out``;
3. the owner is visibly active in this conversation → ``owner_active``;
4. the hard cap (3 replies per client per 10 minutes) → ``throttled``;
5. what to say: ``off`` / ``reduced`` / ``outside_hours`` (``urgent`` replaces any of them
   when the message is urgent), or while available the one-time ``advance_notice`` of an
   off-period or a reduced window whose notice (``notice_days``) has begun — otherwise no
   reply: ``reason`` says ``already_notified`` when the client was told of every coming
   window already, else ``answers_in_person`` (the owner is working and reads it);
6. repeats: one reply per client per window (an urgent reply counts separately, once per
   window; the advance notice about a window does not count, so a client who got it still
   gets one reply when they write during the break), and outside windows one per
   ``reply_once_per`` → ``throttled``.

``Verdict.reason`` is why the decision came out as it did, for integrators: the
suppression's value when there is one, ``answers_in_person`` / ``already_notified`` when
there is no reply while available, else None (a reply is sent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.domain import text, when
from app.domain.model import (
    InboundMessage,
    Policy,
    Situation,
    Status,
    Suppression,
    Window,
    WindowKind,
)

HARD_CAP = 3
HARD_CAP_PERIOD = timedelta(minutes=10)
NOTICE_LOOKAHEAD = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class PastReply:
    """One automatic reply already sent to this client (any of their linked contacts)."""

    at: datetime
    situation: str  # a Situation value, as recorded
    window_id: str | None


@dataclass(frozen=True, slots=True)
class Client:
    """What the decision knows of the client who wrote (from their stored contact)."""

    language: str | None = None  # "ar" / "en" as recorded for the contact, or None
    tone: str | None = None  # "formal" / "friendly", or None
    vip: bool = False  # every message counts as urgent
    opted_out: bool = False


@dataclass(frozen=True, slots=True)
class OwnerTraits:
    """What the decision needs of the owner besides the policy."""

    languages: tuple[str, ...]
    tone: str
    urgent_keywords: tuple[str, ...]
    reply_once_per: timedelta


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision for one message; ``back_at`` and ``reply_by`` in the owner's timezone."""

    status: Status
    window: Window | None
    back_at: datetime
    reply_by: datetime
    upcoming: tuple[Window, ...]
    urgent: bool
    situation: Situation | None  # which reply to send; None when no reply
    suppressed: Suppression | None
    language: str
    tone: str
    notice_window: Window | None = None  # the window an advance notice is about
    expectation: when.When | None = None  # back-at, reply-by and the range (app.domain.when)
    reason: str | None = None  # see the module docstring

    @property
    def replies(self) -> bool:
        return self.situation is not None and self.suppressed is None


def choose_language(message: InboundMessage, client: Client, traits: OwnerTraits) -> str:
    """``"ar"`` or ``"en"``: the client's stored language, else the caller's word on it,
    else the script of the message, else the platform's hint, else the owner's first
    language (``"ar"`` when the owner has none)."""
    for candidate in (client.language, message.language, text.detect_language(message.text),
                      message.language_hint):
        if candidate in ("ar", "en"):
            return candidate
    return traits.languages[0] if traits.languages else "ar"


def upcoming_off(policy: Policy, at: datetime) -> tuple[Window, ...]:
    """Off windows ahead of ``at`` whose advance notice has begun, soonest first."""
    found = [w for w in policy.windows
             if w.kind is WindowKind.OFF and w.starts_at > at
             and w.starts_at - timedelta(days=w.notice_days) <= at
             and w.starts_at - at <= NOTICE_LOOKAHEAD and w.notice_days > 0]
    return tuple(sorted(found, key=lambda w: w.starts_at))


def upcoming_notices(policy: Policy, at: datetime) -> tuple[Window, ...]:
    """Off and reduced windows ahead of ``at`` whose advance notice has begun, soonest first
    (a reduced window's heads-up: "replies will be slower in Ramadan, from …")."""
    found = [w for w in policy.windows
             if w.starts_at > at and w.notice_days > 0
             and w.starts_at - timedelta(days=w.notice_days) <= at
             and w.starts_at - at <= NOTICE_LOOKAHEAD]
    return tuple(sorted(found, key=lambda w: (w.starts_at, w.kind is not WindowKind.OFF)))


def _choose_tone(message: InboundMessage, client: Client, traits: OwnerTraits) -> str:
    """The client's stored tone, else the caller's word on it, else the owner's."""
    for candidate in (client.tone, message.tone):
        if candidate in ("formal", "friendly"):
            return candidate
    return traits.tone


def decide(policy: Policy, message: InboundMessage, client: Client, traits: OwnerTraits,
           history: Sequence[PastReply], *, owner_active: bool = False,
           at: datetime | None = None) -> Verdict:
    """Decide what to do with one message.

    ``history`` is the client's recent replies (any order); ``owner_active`` says the owner
    is answering this conversation in person. ``at`` is the instant decided at (timezone-
    aware; defaults to ``message.received_at``), e.g. ``received_at`` normalised to UTC.
    Raises ValueError for a naive instant and ``availability.NoWorkingTime`` when the
    policy has no working time within the horizon.
    """
    if at is None:
        at = message.received_at
    expected = when.expect(policy, at)
    upcoming = upcoming_off(policy, at)
    urgent = client.vip or text.matches_any(message.text, traits.urgent_keywords) is not None
    situation, notice_window = _situation(expected.status, urgent,
                                          upcoming_notices(policy, at), history)
    suppressed = _suppression(message, client, situation, expected.window, history, at, traits,
                              owner_active=owner_active)
    if suppressed is not None:
        reason: str | None = str(suppressed)
    elif situation is None:
        told = any(r.situation == Situation.ADVANCE_NOTICE for r in history)
        reason = "already_notified" if told and upcoming_notices(policy, at) else (
            "answers_in_person")
    else:
        reason = None
    return Verdict(status=expected.status, window=expected.window, back_at=expected.back_at,
                   reply_by=expected.reply_by, upcoming=upcoming, urgent=urgent,
                   situation=situation, suppressed=suppressed,
                   language=choose_language(message, client, traits),
                   tone=_choose_tone(message, client, traits), notice_window=notice_window,
                   expectation=expected, reason=reason)


def _situation(status: Status, urgent: bool, upcoming: tuple[Window, ...],
               history: Sequence[PastReply]) -> tuple[Situation | None, Window | None]:
    if status is Status.AVAILABLE:
        told = {r.window_id for r in history if r.situation == Situation.ADVANCE_NOTICE}
        for window in upcoming:
            if window.id not in told:
                return Situation.ADVANCE_NOTICE, window
        return None, None
    if urgent:
        return Situation.URGENT, None
    return Situation(status.value), None  # off, reduced and outside_hours share their names


def _suppression(message: InboundMessage, client: Client, situation: Situation | None,
                 window: Window | None, history: Sequence[PastReply], at: datetime,
                 traits: OwnerTraits, *, owner_active: bool) -> Suppression | None:
    if message.suppressed:
        return message.suppressed
    if situation is None:
        return None
    if client.opted_out or text.is_opt_out(message.text):
        return Suppression.OPTED_OUT
    if owner_active:
        return Suppression.OWNER_ACTIVE
    recent = [r for r in history if at - HARD_CAP_PERIOD <= r.at <= at]
    if len(recent) >= HARD_CAP:
        return Suppression.THROTTLED
    if situation is Situation.ADVANCE_NOTICE:
        return None  # already filtered to windows this client was not told about
    if window is not None:
        same = [r for r in history if r.window_id == window.id
                and r.situation != Situation.ADVANCE_NOTICE]
        if situation is Situation.URGENT:
            same = [r for r in same if r.situation == Situation.URGENT]
        return Suppression.THROTTLED if same else None
    since = at - traits.reply_once_per
    same = [r for r in history if r.window_id is None and since <= r.at <= at
            and r.situation != Situation.ADVANCE_NOTICE]
    if situation is Situation.URGENT:
        same = [r for r in same if r.situation == Situation.URGENT]
    return Suppression.THROTTLED if same else None
