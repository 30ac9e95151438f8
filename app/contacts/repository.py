from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.contacts.models import Contact
from app.db import add, remove  # noqa: F401 - the writes every repository has
from app.decisions.models import EventRow


def get(session: Session, owner_id: str, contact_id: str) -> Contact | None:
    row = session.get(Contact, contact_id)
    return row if row is not None and row.owner_id == owner_id else None


def by_address(session: Session, owner_id: str, channel: str, address: str) -> Contact | None:
    return session.scalars(select(Contact).where(
        Contact.owner_id == owner_id, Contact.channel == channel,
        Contact.address == address)).first()


def page(session: Session, owner_id: str, *, limit: int, after: str | None) -> list[Contact]:
    stmt = select(Contact).where(Contact.owner_id == owner_id).order_by(Contact.id).limit(limit + 1)
    if after is not None:
        stmt = stmt.where(Contact.id > after)
    return list(session.scalars(stmt))


def erase(session: Session, contact: Contact) -> None:
    session.execute(delete(EventRow).where(EventRow.contact_id == contact.id))
    session.delete(contact)

