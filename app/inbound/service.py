"""Webhook intake: verify → parse → ignore what is not for us → decide → answer or enqueue.

Nothing slow happens on the request path: the platform API call is a delivery row written
in the same transaction as the decision, sent by the relay after commit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.channels.base import (
    BadPayload,
    Handshake,
    Ignored,
    RawRequest,
    VerificationFailed,
)
from app.connections.models import ChannelRow
from app.contacts import repository as contacts
from app.decisions import service as decisions
from app.decisions.service import Outcome
from app.domain.model import InboundMessage
from app.errors import IjazaError, Unauthorized
from app.guards import repository as guards
from app.metrics import WEBHOOKS
from app.owners import repository as owners
from app.owners.models import Owner
from app.validation import without_controls


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
    messages: list[InboundMessage] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def requests(self) -> list[decisions.Request]:
        if not self.messages:
            return []
        assert self.owner is not None  # prepare() keeps messages only once it found the owner
        owner = self.owner
        return [decisions.Request(owner=owner, channel=self.channel_row, message=item)
                for item in self.messages]


def prepare(session: Session, channel_row: ChannelRow, channel: Any, raw: RawRequest, *,
            owner_of: Callable[[str], Owner | None] | None = None) -> HookPlan:
    """Verify and parse one webhook delivery; 401 or 400 before anything is written.
    ``owner_of`` finds the channel's owner (a batch loads each owner once)."""
    try:
        channel.verify(raw)
        _not_replayed(session, channel, channel_row, raw)
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
    plan.owner = (owner_of or (lambda owner_id: owners.get(session, owner_id)))(
        channel_row.owner_id)
    if plan.owner is None:
        plan.handshake = channel.webhook_response(None, None)
        return plan
    for item in parsed:
        if isinstance(item, Ignored):
            plan.ignored.append(item.reason)
            if item.tell_owner:
                decisions.record_unanswered(
                    session, plan.owner, source=channel_row.id, reason=item.reason,
                    dedupe_key=f"unanswered:{hashlib.sha256(raw.body).hexdigest()[:32]}",
                    at=raw.received_at)
        elif item.from_owner:
            _owner_spoke(session, plan.owner, channel_row, item)
            plan.ignored.append("own_message")
        else:
            plan.messages.append(without_controls(item))
    return plan


def _not_replayed(session: Session, channel: Any, channel_row: ChannelRow,
                  raw: RawRequest) -> None:
    token = channel.replay_token(raw)
    if token is None:
        return
    value, expires_at = token
    digest = hashlib.sha256(raw.body).hexdigest()
    if not guards.first_sight(session, f"{channel_row.platform}:{channel_row.id}"[:32], value,
                              digest, now=raw.received_at, expires_at=expires_at):
        raise VerificationFailed("this signature's token was already used for another "
                                 "message (a replay)")


def answer(plan: HookPlan, outcomes: list[Outcome]) -> HookResult:
    """The platform's answer once the plan's messages are decided (``outcomes`` in order)."""
    if plan.handshake is not None:
        return HookResult(handshake=plan.handshake, platform=plan.channel_row.platform,
                          ignored=plan.ignored)
    row = plan.channel_row
    reply: str | dict[str, Any] | None = None
    first = plan.messages[0] if plan.messages else None
    if outcomes and plan.channel.answers_with_decision:
        # An integrator gets the whole decision; a retry with the same Idempotency-Key gets
        # the same answer again (and nothing is re-recorded).
        reply = outcomes[0].decision.model_dump(mode="json")
    elif outcomes and outcomes[0].reply is not None and row.mode == "return":
        reply = outcomes[0].reply.text
    return HookResult(handshake=plan.channel.webhook_response(first, reply),
                      platform=row.platform, handled=len(outcomes), ignored=plan.ignored)


class BadRequest(IjazaError):
    """The body is not the platform's webhook."""


def _owner_spoke(session: Session, owner: Owner, channel_row: ChannelRow,
                 item: InboundMessage) -> None:
    contact = contacts.by_address(session, owner.id, channel_row.platform, item.address)
    decisions.record_activity(session, owner, client_key=contact.client_key if contact else None,
                              at=item.received_at)
