from __future__ import annotations

from sqlalchemy.orm import Session

from app import clock
from app.contacts import repository
from app.contacts.models import Contact
from app.contacts.schemas import ContactCreate, ContactUpdate
from app.db import ordered_id
from app.errors import Conflict, Invalid, NotFound
from app.owners.models import Owner


def visible_contact(session: Session, owner: Owner, contact_id: str) -> Contact:
    row = repository.get(session, owner.id, contact_id)
    if row is None:
        raise NotFound(f"No contact '{contact_id}' for owner '{owner.id}'.")
    return row


def _client_key_of(session: Session, owner: Owner, linked_to: str) -> str:
    other = repository.get(session, owner.id, linked_to)
    if other is None:
        raise Invalid(f"No contact '{linked_to}' to link to.", field="linked_to")
    return other.client_key


def create(session: Session, owner: Owner, body: ContactCreate) -> Contact:
    if repository.by_address(session, owner.id, body.channel, body.address) is not None:
        raise Conflict(f"A contact for {body.address} on '{body.channel}' exists already.")
    cid = ordered_id("c_")
    client_key = _client_key_of(session, owner, body.linked_to) if body.linked_to else cid
    now = clock.now()
    row = Contact(id=cid, owner_id=owner.id, channel=body.channel, address=body.address,
                  name=body.name, language=body.language, tone=body.tone, vip=body.vip,
                  opted_out=body.opted_out, client_key=client_key, created_at=now,
                  updated_at=now)
    repository.add(session, row)
    return row


def update(session: Session, owner: Owner, row: Contact, body: ContactUpdate) -> Contact:
    changes = body.model_dump(exclude_unset=True)
    linked_to = changes.pop("linked_to", None)
    if linked_to is not None:
        row.client_key = _client_key_of(session, owner, linked_to)
    for field in ("vip", "opted_out"):
        if field in changes and changes[field] is None:
            changes.pop(field)
    for field, value in changes.items():
        setattr(row, field, value)
    row.updated_at = clock.now()
    session.flush()
    return row


def erase(session: Session, row: Contact) -> None:
    repository.erase(session, row)
