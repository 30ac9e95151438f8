"""API keys: random, shown once, stored as a SHA-256 digest, revocable.

A key carries 192 random bits, so a fast digest is enough (no password stretching); the
lookup is by digest and the final comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app import clock
from app.errors import Invalid, NotFound
from app.keys import repository
from app.keys.models import ApiKey
from app.owners import repository as owners

KEY_PREFIX = "ijz_"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: an admin key, or a key bound to one owner."""

    key_id: str
    admin: bool
    owner_id: str | None

    def may_see(self, owner_id: str) -> bool:
        return self.admin or self.owner_id == owner_id


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewKey:
    row: ApiKey
    key: str


def create_key(session: Session, *, admin: bool, owner_id: str | None,
               name: str | None = None) -> NewKey:
    """A new key; the plain key is only in the returned value, never stored."""
    if admin == (owner_id is not None):
        raise Invalid("A key is either an admin key or bound to one owner.", field="owner_id")
    if owner_id is not None and owners.get(session, owner_id) is None:
        raise NotFound(f"No owner '{owner_id}'.")
    key = KEY_PREFIX + secrets.token_urlsafe(24)
    row = ApiKey(id=secrets.token_hex(8), digest=digest(key), prefix=key[:8], name=name,
                 admin=admin, owner_id=owner_id, created_at=clock.now())
    return NewKey(row=repository.add(session, row), key=key)


# Keys looked up in the last few seconds, by digest: one query less on every request. A
# revocation clears this process's entry at once; other processes see it within the TTL.
_RECENT: dict[str, tuple[float, Principal]] = {}
CACHE_SECONDS = 1.0  # a key revoked on another replica is refused within a second


def recently_authenticated(key: str) -> Principal | None:
    """The key's principal if it was looked up in the last few seconds (no I/O)."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    cached = _RECENT.get(digest(key))
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    return None


def authenticate(session: Session, key: str) -> Principal | None:
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    recent = recently_authenticated(key)
    if recent is not None:
        return recent
    wanted = digest(key)
    principal = _lookup(session, wanted)
    if principal is not None:
        if len(_RECENT) > 10_000:
            _RECENT.clear()
        _RECENT[wanted] = (time.monotonic(), principal)
    return principal


def _lookup(session: Session, wanted: str) -> Principal | None:
    row = repository.by_digest(session, wanted)
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.digest, wanted):
        return None
    return Principal(key_id=row.id, admin=row.admin, owner_id=row.owner_id)


def list_keys(session: Session, principal: Principal, *, limit: int,
              after: str | None) -> list[ApiKey]:
    return repository.page(session, owner_id=None if principal.admin else principal.owner_id,
                           limit=limit, after=after)


def revoke_key(session: Session, principal: Principal, key_id: str) -> None:
    row = repository.get(session, key_id)
    if row is None or not (principal.admin or row.owner_id == principal.owner_id):
        raise NotFound(f"No key '{key_id}'.")
    if row.revoked_at is None:
        row.revoked_at = clock.now()
    _RECENT.pop(row.digest, None)
