"""The demo owner, so that the first run shows something, and one admin key to try it with.

Keys are stored hashed, so a key cannot be shown twice: each run either reuses
``IJAZA_DEMO_ADMIN_KEY`` or mints a new key, and revokes the demo keys of earlier runs.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app import clock
from app.errors import Conflict, Invalid
from app.keys import repository as keys
from app.keys.models import ApiKey
from app.keys.service import KEY_PREFIX, Principal, create_key, digest, revoke_key
from app.owners import repository, service
from app.owners.schemas import OwnerCreate

DEMO = OwnerCreate(
    id="demo",
    name="استوديو نخلة للتصميم — Nakhla Design Studio",
    timezone="Asia/Riyadh",
    country="SA",
    languages=["ar", "en"],
    tone="friendly",
    working_hours={day: ["09:00-13:00", "16:00-20:00"]
                   for day in ("sun", "mon", "tue", "wed", "thu")},
    response_time="PT4H",
    urgent_contact="Omar (عمر) — +966 50 000 0000",
    public_page=True,
    urgent_contact_public=True,
)


# The demo's keys are told from the others by their name (the key table has no other mark).
DEMO_KEY_NAME = "demo admin"
_SEEDER = Principal(key_id="ijaza-demo", admin=True, owner_id=None)


@dataclass(frozen=True, slots=True)
class Seeded:
    created: bool  # the demo owner was created by this run
    key: str
    minted: bool  # a new key (not IJAZA_DEMO_ADMIN_KEY)
    revoked: int  # demo keys of earlier runs revoked now


def seed(session: Session, *, admin_key: str | None = None) -> Seeded:
    """Create the demo owner if missing; leave exactly one live demo admin key: ``admin_key``
    if given, else a new one."""
    created = repository.get(session, DEMO.id) is None
    if created:
        service.create(session, DEMO)
    if admin_key is None:
        new = create_key(session, admin=True, owner_id=None, name=DEMO_KEY_NAME)
        key, keep = new.key, new.row.id
    else:
        key, keep = admin_key, _adopt(session, admin_key)
    earlier = keys.live_named(session, DEMO_KEY_NAME, admin=True, other_than=keep)
    for row in earlier:
        revoke_key(session, _SEEDER, row.id)
    return Seeded(created=created, key=key, minted=admin_key is None, revoked=len(earlier))


def _adopt(session: Session, key: str) -> str:
    """The id of the admin key ``key``, stored now if it is new."""
    if not key.startswith(KEY_PREFIX) or len(key) < len(KEY_PREFIX) + 16:
        raise Invalid(f"IJAZA_DEMO_ADMIN_KEY must be '{KEY_PREFIX}' and at least 16 more "
                      "characters.")
    row = keys.by_key_digest(session, digest(key))
    if row is None:
        row = keys.add(session, ApiKey(id=secrets.token_hex(8), digest=digest(key),
                                       prefix=key[:8], name=DEMO_KEY_NAME, admin=True,
                                       owner_id=None, created_at=clock.now()))
    elif row.revoked_at is not None or not row.admin:
        raise Conflict("IJAZA_DEMO_ADMIN_KEY is a revoked or non-admin key: set another one, "
                       "or unset it for a new key.")
    return row.id
