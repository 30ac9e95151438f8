"""Writing to a client first (an advance notice, a correction, "I'm back"): only through
the channel they last used, and only where that platform lets a business write first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.connections import repository as channels
from app.connections.models import ChannelRow
from app.connections.service import channel_rules
from app.contacts.models import Contact
from app.outbox.service import enqueue, pending
from app.owners.models import Owner


def last_channel(session: Session, contact: Contact) -> ChannelRow | None:
    """The channel the contact last wrote on, if it is still connected."""
    return channels.get(session, contact.last_channel_id) if contact.last_channel_id else None


def can_write_first(session: Session, contact: Contact, now: datetime) -> bool:
    """Whether a message nobody asked for can reach this contact: the platform of the
    channel they last used decides (``Channel.may_write_first``)."""
    channel = last_channel(session, contact)
    if channel is None:
        return False
    return channel_rules(channel).may_write_first(last_seen_at=contact.last_seen_at, now=now)


def enqueue_to_contact(session: Session, owner: Owner, contact: Contact, *, text: str,
                       subject: str | None, kind: str, key: str, event_id: int | None,
                       now: datetime) -> bool:
    """Queue a message to a contact on the channel they last used (in the conversation
    they last wrote in, where the platform keeps one)."""
    channel = last_channel(session, contact)
    if channel is None:
        return False
    context = channel_rules(channel).context_for(
        contact.address, subject=subject, unsolicited=True, reply_context=contact.reply_context)
    enqueue(session, owner_id=owner.id, channel_id=channel.id, platform=channel.platform,
            kind=kind, key=key, event_id=event_id, now=now,
            payload={"to": contact.address, "text": text, "subject": subject,
                     "context": context})
    return True


def first_write_channel(session: Session, contact: Contact, now: datetime) -> ChannelRow | None:
    """The channel a message nobody asked for reaches this contact on (the one they last
    used, where its platform allows writing first), or None."""
    channel = last_channel(session, contact)  # one read per channel: the identity map
    if channel is None or not channel_rules(channel).may_write_first(
            last_seen_at=contact.last_seen_at, now=now):
        return None
    return channel


def delivery_to(owner: Owner, contact: Contact, channel: ChannelRow, *, text: str,
                subject: str | None, kind: str, key: str, event_id: int | None,
                now: datetime) -> dict[str, object]:
    """``enqueue_to_contact``'s delivery as a row for ``outbox.service.enqueue_many``."""
    context = channel_rules(channel).context_for(
        contact.address, subject=subject, unsolicited=True, reply_context=contact.reply_context)
    return pending(owner_id=owner.id, channel_id=channel.id, platform=channel.platform,
                   kind=kind, key=key, event_id=event_id, now=now,
                   payload={"to": contact.address, "text": text, "subject": subject,
                            "context": context})
