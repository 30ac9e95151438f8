"""The reply a client reads: the owner's template (or the default wording) rendered for a
decision, with the dates in the client's language and the country's Hijri month."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.country_calendar.repository import active_confirmations
from app.domain import hijri, occasions, rendering, rules, when
from app.domain.countries import ISLAMIC_OCCASIONS
from app.domain.decision import Client, Verdict, decide
from app.domain.model import InboundMessage, Policy, Window
from app.owners import service as owners
from app.owners.models import Owner
from app.templates.repository import sources_of
from app.windows.policy import policy_of

# How each platform's replies are written (``rendering.CHANNEL_KINDS``); anything else is chat.
_EMAIL_PLATFORMS = frozenset({"email", "mailgun", "sendgrid", "postmark", "mime"})
_SMS_PLATFORMS = frozenset({"twilio", "sms"})


def channel_kind(platform: str | None, address: str | None = None) -> str:
    """``email``, ``sms`` or ``chat`` for a platform (Twilio's WhatsApp senders are chat)."""
    if platform in _EMAIL_PLATFORMS:
        return "email"
    if platform in _SMS_PLATFORMS:
        return "chat" if (address or "").startswith("whatsapp:") else "sms"
    if platform in (None, "", "api"):
        return "email"  # an integrator's call: the full text, which it may shorten itself
    return "chat"


def owner_name(owner: Owner, language: str) -> str:
    """The owner's name for a reply in ``language``: ``names[language]``, else ``name``."""
    return (owner.names or {}).get(language) or owner.name


def signature(owner: Owner, language: str) -> str | None:
    """What a reply in ``language`` is signed with, or None for the owner's name in it."""
    return (owner.signatures or {}).get(language)


def _remembered(session: Session, what: str, key: Any, load: Callable[[], Any]) -> Any:
    """``load()`` once per session for ``(what, key)``: a batch of decisions reads each
    owner's templates and each country's confirmations once, not once per reply."""
    memo = session.info.setdefault(what, {})
    if key not in memo:
        memo[key] = load()
    return memo[key]


def template_source(session: Session, owner: Owner, situation: str, language: str,
                    tone: str) -> str | None:
    # Most owners keep the defaults, and a template that is not there is not in the
    # identity map either: without the memo every reply would ask again.
    return _remembered(session, "template_sources", (owner.id, situation),
                       lambda: sources_of(session, [owner.id], situation).get(owner.id, {})
                       ).get((language, tone))


def remember_templates(session: Session, owner_ids: Sequence[str], situation: str) -> None:
    """Read the templates of many owners for ``situation`` at once (a broadcast to their
    clients), so that ``template_source`` asks no more for any of them in this session."""
    memo = session.info.setdefault("template_sources", {})
    wanted = [owner_id for owner_id in owner_ids if (owner_id, situation) not in memo]
    found = sources_of(session, wanted, situation)
    for owner_id in wanted:
        memo[(owner_id, situation)] = found.get(owner_id, {})


def render(session: Session, owner: Owner, policy: Policy, *, situation: str, language: str,
           tone: str, window: Window | None, back_at: datetime, reply_by: datetime,
           urgent: bool = False, contact_name: str | None = None, subject: str | None = None,
           old_back_at: datetime | None = None, source: str | None = None,
           channel: str = "email", variant_key: str = "", expected: when.When | None = None,
           at: datetime | None = None, status: str = "",
           break_ahead: bool = False) -> rendering.RenderedReply:
    """The reply text; ``source`` overrides the saved or default template (previews).
    ``expected`` is what ``when.expect`` said for the message (the range of return days)."""
    return draft(session, owner, policy, situation=situation, language=language, tone=tone,
                 window=window, back_at=back_at, reply_by=reply_by, urgent=urgent,
                 subject=subject, old_back_at=old_back_at, source=source, channel=channel,
                 expected=expected, at=at, status=status, break_ahead=break_ahead,
                 ).for_contact(contact_name, variant_key)


def draft(session: Session, owner: Owner, policy: Policy, *, situation: str, language: str,
          tone: str, window: Window | None, back_at: datetime, reply_by: datetime,
          urgent: bool = False, subject: str | None = None, old_back_at: datetime | None = None,
          source: str | None = None, channel: str = "email",
          expected: when.When | None = None, at: datetime | None = None, status: str = "",
          break_ahead: bool = False) -> rendering.ReplyDraft:
    """``render``'s reply for every client (``ReplyDraft.for_contact`` writes each one's):
    a broadcast to many clients asks once per language, tone and channel kind."""
    if source is None:
        source = template_source(session, owner, situation, language, tone)
    # Everything but the client's name and phrasing is the same for every client who writes
    # about the same window in this batch: the draft is written once (rendering.ReplyDraft).
    earliest = expected.earliest_back if expected is not None else None
    latest = expected.latest_back if expected is not None else None
    key = (owner.id, owner.updated_at, policy.timezone.key, situation, language, tone,
           _window_key(window), back_at, reply_by, urgent, subject, old_back_at, source,
           channel, earliest, latest, status, break_ahead,
           at.astimezone(policy.timezone).date() if at is not None else None)
    drafts = session.info.setdefault("reply_drafts", {})
    found: rendering.ReplyDraft | None = drafts.get(key)
    if found is None:
        ctx = rendering.ReplyContext(
            language=language, tone=tone, owner_name=owner_name(owner, language),
            contact_name=None, occasion=window.occasion if window else None,
            occasion_title=dict(window.title) if window and window.title else None,
            period_start=window.starts_at if window else None,
            period_end=window.ends_at if window else None,
            back_at=back_at, reply_by=reply_by, urgent_contact=owner.urgent_contact,
            tentative=bool(window and window.tentative),
            earliest_end=window.earliest_end if window else None,
            latest_end=window.latest_end if window else None,
            timezone=policy.timezone, urgent=urgent, original_subject=subject,
            old_back_at=old_back_at, hijri_shift_days=hijri_shift(session, owner, window),
            at=at, channel=channel, status=status,
            window_kind=str(window.kind) if window else "", earliest_back=earliest,
            latest_back=latest, break_ahead=break_ahead,
            signature=signature(owner, language))
        found = drafts[key] = rendering.ReplyDraft(situation, ctx, source=source)
    return found


def _window_key(window: Window | None) -> tuple[Any, ...] | None:
    """What of a window a reply says (a window's id alone may be re-timed by a sighting)."""
    if window is None:
        return None
    return (window.id, window.occasion, tuple(sorted(window.title.items())), window.starts_at,
            window.ends_at, window.tentative, window.earliest_end, window.latest_end,
            window.move_chance)


def hijri_shift(session: Session, owner: Owner, window: Window | None) -> int:
    """How many days the country's Hijri month runs behind Umm al-Qura around this window
    (after an observed or confirmed sighting), so a reply's Hijri dates match it."""
    if window is None or window.occasion not in ISLAMIC_OCCASIONS:
        return 0
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
                   window: Window | None = None, source: str | None = None,
                   channel: str = "email", client_key: str | None = None,
                   at: datetime | None = None) -> rendering.RenderedReply:
    """The reply for a decision; an advance notice speaks of the coming window, a message
    out of hours on the eve of a break names the break."""
    expected = verdict.expectation
    if window is None and situation != "advance_notice" and expected is not None:
        window = verdict.window or expected.away_for
    window = window or verdict.notice_window or verdict.window
    back_at, reply_by = verdict.back_at, verdict.reply_by
    if situation == "advance_notice" and window is not None:
        expected = when.expect(policy, window.starts_at)
        back_at, reply_by = expected.back_at, expected.reply_by
    at = at or (expected.at if expected is not None else None)
    break_ahead = bool(expected is not None and expected.away_for is not None
                       and verdict.window is None and window is expected.away_for)
    return render(session, owner, policy, situation=situation, language=verdict.language,
                  tone=verdict.tone, window=window, back_at=back_at, reply_by=reply_by,
                  urgent=verdict.urgent, contact_name=contact_name, subject=subject,
                  source=source, channel=channel,
                  variant_key=f"{client_key or contact_name or ''}:{window.id if window else ''}",
                  expected=expected, at=at, status=str(verdict.status),
                  break_ahead=break_ahead)


def preview(session: Session, owner: Owner, *, situation: str, language: str, tone: str,
            at: datetime, contact_name: str | None, source: str | None = None,
            channel: str = "email") -> rendering.RenderedReply:
    """The reply a client would get at ``at`` in this situation (``source``: wording not
    yet saved); outside a window it speaks of the next one."""
    policy = policy_of(session, owner, at)
    verdict = decide(policy, InboundMessage(platform="api", address="", text="",
                                            received_at=at),
                     Client(language=language, tone=tone), owners.traits_of(owner), [])
    window = verdict.window or (verdict.upcoming[0] if verdict.upcoming else None)
    return render_verdict(session, owner, policy, verdict, situation=situation,
                          contact_name=contact_name, subject=None, window=window,
                          source=source, channel=channel)
