"""What a recorded decision asks for besides its answer: the reply, sent later through the
outbox when the channel is in send mode, and the urgent message forwarded to the owner's
delegate. Planned here, written by ``service.decide_many`` with the decision's event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.channels.base import without_bidi_overrides
from app.connections import repository as channels
from app.connections.models import ChannelRow
from app.connections.service import channel_rules
from app.domain.decision import Verdict
from app.domain.model import InboundMessage
from app.domain.rendering import RenderedReply
from app.logs import log
from app.owners.models import Owner


@dataclass(frozen=True, slots=True)
class Send:
    """One delivery to queue; its idempotency key is ``{kind}:{event id}``."""

    kind: str  # "reply" or "forward"
    channel_id: str
    platform: str
    payload: dict[str, Any]


def plan(session: Session, owner: Owner, message: InboundMessage, verdict: Verdict,
         reply: RenderedReply | None, channel: ChannelRow | None,
         reply_context: dict[str, Any] | None) -> tuple[list[str], list[Send]]:
    """The decision's ``actions`` and the deliveries they need."""
    actions: list[str] = []
    sends: list[Send] = []
    if verdict.urgent and str(verdict.status) != "available" and owner.delegate:
        forward = _forward(session, owner, message)
        if forward is not None:
            actions.append("forwarded_to_delegate")
            sends.append(forward)
    if reply is not None and channel is not None:
        if channel.mode == "send":
            sends.append(Send("reply", channel.id, channel.platform, {
                "to": message.address, "text": reply.text, "subject": reply.subject,
                "context": reply_context or {}}))
            actions.append("queued")
        else:
            actions.append("sent")  # in the webhook's own response
    return actions, sends


def _forward(session: Session, owner: Owner, message: InboundMessage) -> Send | None:
    delegate = owner.delegate or {}
    who = message.name or message.address
    text = (f"Urgent message for {owner.name} from {who} ({message.platform}):\n\n"
            f"{message.text}\n\n— forwarded by Ijaza")
    channel = None
    address = delegate.get("address")
    if delegate.get("channel_id"):
        channel = channels.of_owner(session, owner.id, delegate["channel_id"])
    if channel is None and delegate.get("email"):
        channel = channels.first_on(session, owner.id, "email")
        address = delegate["email"]
    if channel is None or not address:
        log.warning("urgent message not forwarded: no delegate channel", owner=owner.id)
        return None
    rules = channel_rules(channel)
    # The client's words reach the delegate as text: no mention, link or override of theirs
    # acts on the delegate's platform.
    subject = without_bidi_overrides(f"Urgent: {message.subject or who}")
    return Send("forward", channel.id, channel.platform, {
        "to": address, "text": rules.inert(text), "subject": subject,
        "context": rules.context_for(address, subject=subject, unsolicited=True)})
