from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.domain import countries, hours, text
from app.domain.decision import OwnerTraits
from app.errors import Conflict, NotFound
from app.keys.service import Principal
from app.owners import repository
from app.owners.models import Owner
from app.owners.schemas import OwnerCreate, OwnerUpdate
from app.windows.computed import rematerialise


def visible_owner(session: Session, principal: Principal, owner_id: str) -> Owner:
    """The owner, if this key may see it; otherwise 404 whether or not it exists."""
    if not principal.may_see(owner_id):
        raise NotFound(f"No owner '{owner_id}'.")
    owner = repository.get(session, owner_id)
    if owner is None:
        raise NotFound(f"No owner '{owner_id}'.")
    return owner


def default_hours(country: str) -> dict[str, list[str]]:
    weekend = countries.country(country).weekend
    return hours.working_hours_to_spec(hours.default_working_hours(weekend))


def create(session: Session, body: OwnerCreate) -> Owner:
    if repository.get(session, body.id) is not None:
        raise Conflict(f"An owner '{body.id}' exists already.")
    now = clock.now()
    data = body.model_dump()
    if data["working_hours"] is None:
        data["working_hours"] = default_hours(body.country)
    owner = Owner(**data, created_at=now, updated_at=now)
    repository.add(session, owner)
    _after_change(session, owner, calendar_changed=True)
    return owner


def update(session: Session, owner: Owner, body: OwnerUpdate) -> Owner:
    changes: dict[str, Any] = body.model_dump(exclude_unset=True)
    for field in ("name", "timezone", "country", "languages", "tone", "response_time",
                  "reply_once_per", "active_for", "notice_audience_days", "tell_when_back", "public_page",
                  "urgent_contact_public"):
        if field in changes and changes[field] is None:
            changes.pop(field)  # null on a required field means "leave it"
    if "working_hours" in changes and changes["working_hours"] is None:
        # null: back to the default hours, as when the owner was created without any
        changes["working_hours"] = default_hours(changes.get("country") or owner.country)
    for field, value in changes.items():
        setattr(owner, field, value)
    owner.updated_at = clock.now()
    session.flush()
    _after_change(session, owner,
                  calendar_changed=bool({"timezone", "country"} & changes.keys()))
    return owner


def delete(session: Session, owner: Owner) -> None:
    repository.remove(session, owner)


def _after_change(session: Session, owner: Owner, *, calendar_changed: bool) -> None:
    """Windows follow the owner's country and timezone."""
    if calendar_changed:
        rematerialise(session, owner)


@lru_cache(maxsize=4096)
def _traits(owner_id: str, updated_at: datetime, languages: tuple[str, ...], tone: str,
            keywords: tuple[str, ...] | None, reply_once_per: str) -> OwnerTraits:
    return OwnerTraits(languages=languages, tone=tone,
                       urgent_keywords=keywords if keywords else text.default_urgent_keywords(),
                       reply_once_per=hours.parse_duration(reply_once_per))


def traits_of(owner: Owner) -> OwnerTraits:
    return _traits(owner.id, owner.updated_at, tuple(owner.languages), owner.tone,
                   tuple(owner.urgent_keywords) if owner.urgent_keywords else None,
                   owner.reply_once_per)
