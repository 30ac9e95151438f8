"""The decision for one inbound message: status, when the owner is back, when to expect an
answer, whether to reply at all (and why not), in which language and tone.

Pure: the caller loads the owner's policy and the client's recent history and passes
``at``; nothing here reads a clock or a database.

Order of the checks (the first that applies wins):

1. the channel already said "do not answer" (RFC 3834 and friends) → that reason;
2. the client opted out → ``opted_out``;
3. the owner is visibly active in this conversation → ``owner_active``;
4. the hard cap (3 replies per client per 10 minutes) → ``throttled``;
5. what to say: ``off`` / ``reduced`` / ``outside_hours`` (``urgent`` replaces any of them
   when the message is urgent), or while available the one-time ``advance_notice`` of an
   off-period whose notice has begun — otherwise no reply (the owner answers in person);
6. repeats: one reply per client per window (an urgent reply counts separately, once per
   window), and outside windows one per ``reply_once_per`` → ``throttled``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.domain import availability, text
from app.domain.model import Policy, Status, Window, WindowKind

HARD_CAP = 3
HARD_CAP_PERIOD = timedelta(minutes=10)
NOTICE_LOOKAHEAD = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class PastReply:
    """One automatic reply already sent to this client (any of their linked contacts)."""

    at: datetime
    situation: str
    window_id: str | None


@dataclass(frozen=True, slots=True)
class Inquiry:
    at: datetime
    text: str
    contact_language: str | None = None
    contact_tone: str | None = None
    language_hint: str | None = None
    vip: bool = False
    opted_out: bool = False
    suppressed: str | None = None  # decided by the channel before we got here


@dataclass(frozen=True, slots=True)
class OwnerTraits:
    languages: tuple[str, ...]
    tone: str
    urgent_keywords: tuple[str, ...]
    reply_once_per: timedelta


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    window: Window | None
    back_at: datetime
    reply_by: datetime
    upcoming: tuple[Window, ...]
    urgent: bool
    urgent_keyword: str | None
    situation: str | None  # which reply to send; None when no reply
    suppressed: str | None
    language: str
    tone: str
    notice_window: Window | None = None  # the window an advance notice is about
    reasons: tuple[str, ...] = field(default=())

    @property
    def replies(self) -> bool:
        return self.situation is not None and self.suppressed is None


def choose_language(inquiry: Inquiry, traits: OwnerTraits) -> str:
    """The contact's stored language, else the script of the message, else the owner's first."""
    for candidate in (inquiry.contact_language, text.detect_language(inquiry.text),
                      inquiry.language_hint):
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


def decide(policy: Policy, inquiry: Inquiry, traits: OwnerTraits, history: Sequence[PastReply],
           *, owner_active: bool = False) -> Verdict:
    """Decide what to do with one message. ``history`` is the client's recent replies."""
    at = inquiry.at
    snapshot, back_at, reply_by = availability.timing(policy, at)
    upcoming = upcoming_off(policy, at)
    keyword = text.matches_any(inquiry.text, traits.urgent_keywords)
    urgent = inquiry.vip or keyword is not None
    language = choose_language(inquiry, traits)
    tone = inquiry.contact_tone if inquiry.contact_tone in ("formal", "friendly") else traits.tone

    situation, notice_window = _situation(snapshot.status, urgent, upcoming, history)
    suppressed = _suppression(inquiry, situation, snapshot.window, notice_window, history, at,
                              traits, owner_active=owner_active)
    return Verdict(status=snapshot.status, window=snapshot.window, back_at=back_at,
                   reply_by=reply_by, upcoming=upcoming, urgent=urgent, urgent_keyword=keyword,
                   situation=situation, suppressed=suppressed, language=language, tone=tone,
                   notice_window=notice_window)


def _situation(status: Status, urgent: bool, upcoming: tuple[Window, ...],
               history: Sequence[PastReply]) -> tuple[str | None, Window | None]:
    if status is Status.AVAILABLE:
        told = {r.window_id for r in history if r.situation == "advance_notice"}
        for window in upcoming:
            if window.id not in told:
                return "advance_notice", window
        return None, None
    if urgent:
        return "urgent", None
    return str(status), None


def _suppression(inquiry: Inquiry, situation: str | None, window: Window | None,
                 notice_window: Window | None, history: Sequence[PastReply], at: datetime,
                 traits: OwnerTraits, *, owner_active: bool) -> str | None:
    if inquiry.suppressed:
        return inquiry.suppressed
    if situation is None:
        return None
    if inquiry.opted_out or text.is_opt_out(inquiry.text):
        return "opted_out"
    if owner_active:
        return "owner_active"
    recent = [r for r in history if at - HARD_CAP_PERIOD <= r.at <= at]
    if len(recent) >= HARD_CAP:
        return "throttled"
    if situation == "advance_notice":
        return None  # already filtered to windows this client was not told about
    if window is not None:
        same = [r for r in history if r.window_id == window.id]
        if situation == "urgent":
            same = [r for r in same if r.situation == "urgent"]
        return "throttled" if same else None
    since = at - traits.reply_once_per
    same = [r for r in history if r.window_id is None and since <= r.at <= at
            and r.situation != "advance_notice"]
    if situation == "urgent":
        same = [r for r in same if r.situation == "urgent"]
    return "throttled" if same else None
