"""Webhook intake: verify → parse → ignore what is not for us → decide → answer or enqueue.

Nothing slow happens on the request path: the platform API call is a delivery row written
in the same transaction as the decision, sent by the relay after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.channels.base import Handshake, Ignored, Inbound, RawRequest
from app.connections.models import ChannelRow
from app.contacts.models import Contact
from app.decisions import service as decisions
from app.decisions.service import Message, Outcome
from app.logs import log
from app.outbox.service import enqueue
from app.owners.models import Owner

WHATSAPP_SERVICE_WINDOW = timedelta(hours=24)
# Platforms on which the service may write first (notices, corrections): a chat it knows.
WRITE_FIRST = {"slack", "telegram", "whatsapp", "email", "generic", "console"}


def context_for_address(channel: ChannelRow, address: str, *,
                        subject: str | None = None) -> dict[str, Any]:
    """What a platform module needs to write to an address we were not replying to."""
    platform = channel.platform
    if platform == "slack":
        return {"channel": address}
    if platform == "telegram":
        return {"chat_id": int(address) if address.lstrip("-").isdigit() else address}
    if platform == "whatsapp":
        return {"to": address, "phone_number_id": (channel.settings or {}).get("phone_number_id")}
    if platform == "email":
        return {"to": address, "subject": subject or "", "unsolicited": True}
    return {"to": address}


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


def after_decision(session: Session, owner: Owner, outcome: Outcome, message: Message,
                   channel: ChannelRow | None = None,
                   reply_context: dict[str, Any] | None = None) -> None:
    """Queue what the decision asks for: the reply (send mode) and the urgent forward."""
    if outcome.event is None:
        return
    actions: list[str] = []
    now = clock.now()
    verdict = outcome.verdict
    if (verdict is not None and verdict.urgent and str(verdict.status) != "available"
            and owner.delegate and _forward(session, owner, outcome, message, now)):
        actions.append("forwarded_to_delegate")
    if outcome.reply is not None and channel is not None:
        if channel.mode == "send":
            enqueue(session, owner_id=owner.id, channel_id=channel.id, platform=channel.platform,
                    kind="reply", key=f"reply:{outcome.event.id}", event_id=outcome.event.id,
                    now=now, payload={"to": message.address, "text": outcome.reply.text,
                                      "subject": outcome.reply.subject,
                                      "context": reply_context or {}})
            actions.append("queued")
        else:
            actions.append("sent")
    if actions:
        outcome.decision.actions = actions
        outcome.event.decision = outcome.decision.model_dump(mode="json")


def _forward(session: Session, owner: Owner, outcome: Outcome, message: Message,
             now: datetime) -> bool:
    delegate = owner.delegate or {}
    who = message.name or message.address
    text = (f"Urgent message for {owner.name} from {who} ({message.channel}):\n\n"
            f"{message.text}\n\n— forwarded by Ijaza")
    key = f"forward:{outcome.event.id}"  # type: ignore[union-attr]
    channel = None
    address = delegate.get("address")
    if delegate.get("channel_id"):
        channel = session.get(ChannelRow, delegate["channel_id"])
        if channel is not None and channel.owner_id != owner.id:
            channel = None
    if channel is None and delegate.get("email"):
        from sqlalchemy import select

        channel = session.scalars(select(ChannelRow).where(
            ChannelRow.owner_id == owner.id, ChannelRow.platform == "email")).first()
        address = delegate["email"]
    if channel is None or not address:
        log.warning("urgent message not forwarded: no delegate channel", owner=owner.id)
        return False
    subject = f"Urgent: {message.subject or who}"
    enqueue(session, owner_id=owner.id, channel_id=channel.id, platform=channel.platform,
            kind="forward", key=key, event_id=outcome.event.id, now=now,  # type: ignore[union-attr]
            payload={"to": address, "text": text, "subject": subject,
                     "context": context_for_address(channel, address, subject=subject)})
    return True


@dataclass(slots=True)
class HookResult:
    handshake: Handshake
    handled: int = 0
    ignored: list[str] = field(default_factory=list)


def handle(session: Session, channel_row: ChannelRow, channel: Any, raw: RawRequest) -> HookResult:
    """Verify and handle one webhook delivery. Raises VerificationFailed / BadPayload."""
    channel.verify(raw)
    parsed = channel.parse(raw)
    if isinstance(parsed, Handshake):
        return HookResult(handshake=parsed)
    owner = session.get(Owner, channel_row.owner_id)
    if owner is None:
        return HookResult(handshake=channel.webhook_response(None, None))
    result_inbound: Inbound | None = None
    reply_text: str | dict[str, Any] | None = None
    handled = 0
    ignored: list[str] = []
    for item in parsed:
        if isinstance(item, Ignored):
            ignored.append(item.reason)
            continue
        if item.from_owner:
            _owner_spoke(session, owner, channel_row, item)
            ignored.append("own_message")
            continue
        outcome = _decide(session, owner, channel_row, item)
        handled += 1
        if result_inbound is None:
            result_inbound = item
            if channel_row.platform == "generic" and channel_row.mode == "return":
                # An integrator gets the whole decision; a retry with the same
                # Idempotency-Key gets the same answer again (and nothing is re-recorded).
                reply_text = outcome.decision.model_dump(mode="json")
            elif outcome.reply is not None and channel_row.mode == "return":
                reply_text = outcome.reply.text
    return HookResult(handshake=channel.webhook_response(result_inbound, reply_text),
                      handled=handled, ignored=ignored)


def _decide(session: Session, owner: Owner, channel_row: ChannelRow, item: Inbound) -> Outcome:
    message = Message(
        channel=channel_row.platform, address=item.address, text=item.text,
        at=item.received_at, name=item.name, subject=item.subject,
        headers=dict(item.headers), language_hint=item.language_hint,
        suppressed=item.suppressed, source=channel_row.id, dedupe_key=item.dedupe_key,
        channel_id=channel_row.id)
    outcome = decisions.evaluate(session, owner, message)
    if outcome.duplicate:
        outcome.reply = None
        return outcome
    if outcome.contact is not None:
        outcome.contact.reply_context = dict(item.reply_context)
    after_decision(session, owner, outcome, message, channel_row, dict(item.reply_context))
    return outcome


def _owner_spoke(session: Session, owner: Owner, channel_row: ChannelRow, item: Inbound) -> None:
    from sqlalchemy import select

    contact = session.scalars(select(Contact).where(
        Contact.owner_id == owner.id, Contact.channel == channel_row.platform,
        Contact.address == item.address)).first()
    decisions.record_activity(session, owner, client_key=contact.client_key if contact else None,
                              at=item.received_at)
