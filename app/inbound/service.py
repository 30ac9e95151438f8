"""Webhook intake: verify → parse → ignore what is not for us → decide → answer or enqueue.

Nothing slow happens on the request path: the platform API call is a delivery row written
in the same transaction as the decision, sent by the relay after commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app.channels.base import (
    BadPayload,
    Handshake,
    Ignored,
    Inbound,
    RawRequest,
    VerificationFailed,
)
from app.connections.models import ChannelRow
from app.connections.service import context_for_address
from app.contacts.models import Contact
from app.decisions import service as decisions
from app.decisions.service import Message, Outcome
from app.errors import IjazaError, Unauthorized
from app.metrics import WEBHOOKS
from app.outbox.service import enqueue
from app.owners.models import Owner

WHATSAPP_SERVICE_WINDOW = timedelta(hours=24)
# Platforms on which the service may write first (notices, corrections): a chat it knows.
WRITE_FIRST = {"slack", "telegram", "whatsapp", "email", "generic", "console"}


def can_write_first(session: Session, contact: Contact, now: datetime) -> bool:
    """Whether a message nobody asked for can reach this contact (platform rules)."""
    if contact.last_channel_id is None:
        return False
    channel = session.get(ChannelRow, contact.last_channel_id)
    if channel is None or channel.platform not in WRITE_FIRST:
        return False
    if channel.platform == "generic" and not (channel.settings or {}).get("callback_url"):
        return False
    if channel.platform == "telegram" and channel.mode != "send":
        return False  # writing first needs the bot token, which only send mode requires
    if channel.platform == "whatsapp":
        inside = contact.last_seen_at is not None and now - contact.last_seen_at < WHATSAPP_SERVICE_WINDOW
        return inside or bool((channel.settings or {}).get("template_name"))
    return True



def enqueue_to_contact(session: Session, owner: Owner, contact: Contact, *, text: str,
                       subject: str | None, kind: str, key: str, event_id: int | None,
                       now: datetime) -> bool:
    """Queue a message to a contact on the channel they last used."""
    channel = session.get(ChannelRow, contact.last_channel_id) if contact.last_channel_id else None
    if channel is None:
        return False
    context = dict(contact.reply_context or context_for_address(channel, contact.address,
                                                                subject=subject))
    if channel.platform == "email":
        context["unsolicited"] = True
        context["notice_subject"] = subject
    enqueue(session, owner_id=owner.id, channel_id=channel.id, platform=channel.platform,
            kind=kind, key=key, event_id=event_id, now=now,
            payload={"to": contact.address, "text": text, "subject": subject,
                     "context": context})
    return True


@dataclass(slots=True)
class HookResult:
    handshake: Handshake
    platform: str
    handled: int = 0
    ignored: list[str] = field(default_factory=list)


@dataclass(slots=True)
class HookPlan:
    """A verified delivery, parsed: the handshake to answer, or the messages to decide."""

    channel_row: ChannelRow
    channel: Any
    handshake: Handshake | None = None
    owner: Owner | None = None
    messages: list[Inbound] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def requests(self) -> list[decisions.Request]:
        assert self.owner is not None or not self.messages
        row = self.channel_row
        return [decisions.Request(
            owner=self.owner, channel=row, reply_context=dict(item.reply_context),  # type: ignore[arg-type]
            message=Message(
                channel=row.platform, address=item.address, text=item.text,
                at=item.received_at, name=item.name, subject=item.subject,
                headers=dict(item.headers), language_hint=item.language_hint,
                suppressed=item.suppressed, source=row.id, dedupe_key=item.dedupe_key,
                channel_id=row.id)) for item in self.messages]


def prepare(session: Session, channel_row: ChannelRow, channel: Any, raw: RawRequest, *,
            owner_of: Callable[[str], Owner | None] | None = None) -> HookPlan:
    """Verify and parse one webhook delivery; 401 or 400 before anything is written.
    ``owner_of`` finds the channel's owner (a batch loads each owner once)."""
    try:
        channel.verify(raw)
        parsed = channel.parse(raw)
    except VerificationFailed as exc:
        WEBHOOKS.labels(channel_row.platform, "unverified").inc()
        raise Unauthorized(f"The request did not verify: {exc}") from exc
    except BadPayload as exc:
        WEBHOOKS.labels(channel_row.platform, "bad_payload").inc()
        raise BadRequest(f"The body is not a {channel_row.platform} webhook: {exc}") from exc
    plan = HookPlan(channel_row=channel_row, channel=channel)
    if isinstance(parsed, Handshake):
        plan.handshake = parsed
        return plan
    plan.owner = (owner_of or (lambda owner_id: session.get(Owner, owner_id)))(
        channel_row.owner_id)
    if plan.owner is None:
        plan.handshake = channel.webhook_response(None, None)
        return plan
    for item in parsed:
        if isinstance(item, Ignored):
            plan.ignored.append(item.reason)
        elif item.from_owner:
            _owner_spoke(session, plan.owner, channel_row, item)
            plan.ignored.append("own_message")
        else:
            plan.messages.append(item)
    return plan


def answer(plan: HookPlan, outcomes: list[Outcome]) -> HookResult:
    """The platform's answer once the plan's messages are decided (``outcomes`` in order)."""
    if plan.handshake is not None:
        return HookResult(handshake=plan.handshake, platform=plan.channel_row.platform,
                          ignored=plan.ignored)
    row = plan.channel_row
    reply: str | dict[str, Any] | None = None
    first = plan.messages[0] if plan.messages else None
    if outcomes and row.platform == "generic" and row.mode == "return":
        # An integrator gets the whole decision; a retry with the same Idempotency-Key gets
        # the same answer again (and nothing is re-recorded).
        reply = outcomes[0].decision.model_dump(mode="json")
    elif outcomes and outcomes[0].reply is not None and row.mode == "return":
        reply = outcomes[0].reply.text
    return HookResult(handshake=plan.channel.webhook_response(first, reply),
                      platform=row.platform, handled=len(outcomes), ignored=plan.ignored)


class BadRequest(IjazaError):
    """The body is not the platform's webhook."""


def _owner_spoke(session: Session, owner: Owner, channel_row: ChannelRow, item: Inbound) -> None:
    from sqlalchemy import select

    contact = session.scalars(select(Contact).where(
        Contact.owner_id == owner.id, Contact.channel == channel_row.platform,
        Contact.address == item.address)).first()
    decisions.record_activity(session, owner, client_key=contact.client_key if contact else None,
                              at=item.received_at)
