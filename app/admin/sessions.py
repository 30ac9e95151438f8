"""Signing in to the console: an API key is exchanged for a server-side session.

The browser holds only a random session token (its SHA-256 digest is stored, like an API
key's); the key itself never leaves the sign-in request. A session ends when it expires,
when its owner signs out, or when the key it was opened with is revoked.

Failed sign-ins are counted per client address in the database (``SignInLimiter``), so
that every replica and worker process counts the same ones: a guesser is slowed to a few
tries a minute however many processes serve the console.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.admin import repository
from app.admin.models import ConsoleSession
from app.keys import repository as keys
from app.keys.service import Principal, authenticate

SESSION_LIFETIME = timedelta(hours=12)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Opened:
    token: str  # for the cookie; only its digest is stored
    principal: Principal
    expires_at: datetime


def sign_in(session: Session, key: str, now: datetime) -> Opened | None:
    """A new session for a live API key, or None for a key that is not one."""
    principal = authenticate(session, key.strip())
    if principal is None:
        return None
    repository.drop_expired(session, now)
    token = secrets.token_urlsafe(32)
    expires = now + SESSION_LIFETIME
    repository.add(session, ConsoleSession(id=secrets.token_hex(8), token_digest=_digest(token),
                                           key_id=principal.key_id, created_at=now,
                                           expires_at=expires))
    return Opened(token=token, principal=principal, expires_at=expires)


def signed_in(session: Session, token: str | None, now: datetime) -> Principal | None:
    """Who holds this session token, or None (unknown, expired, signed out, key revoked)."""
    if not token or len(token) > 100:
        return None
    row = repository.by_token_digest(session, _digest(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    key = keys.get(session, row.key_id)
    if key is None or key.revoked_at is not None:
        return None
    return Principal(key_id=key.id, admin=key.admin, owner_id=key.owner_id)


def sign_out(session: Session, token: str | None, now: datetime) -> None:
    """End the session server-side: the cookie is worthless from now on."""
    if not token or len(token) > 100:
        return
    row = repository.by_token_digest(session, _digest(token))
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
        session.flush()


def form_token(secret: str, session_token: str) -> str:
    """The CSRF token of a session's forms: bound to the session, unguessable without the
    server's secret, nothing stored."""
    return hmac.new(secret.encode(), b"console-form:" + session_token.encode(),
                    hashlib.sha256).hexdigest()


def form_token_ok(secret: str, session_token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(form_token(secret, session_token), sent or "")


class SignInLimiter:
    """At most ``attempts`` failed sign-ins per client address per ``period``; the rest wait
    (``retry_after`` seconds). The failures are rows (``console_sign_in_failure``), shared
    by every process on the database; none older than ``period`` is kept."""

    def __init__(self, *, attempts: int = 5, period: timedelta = timedelta(minutes=5)) -> None:
        self.attempts, self.period = attempts, period

    def retry_after(self, session: Session, client: str, now: datetime) -> int:
        """Seconds until ``client`` may try again (0: now)."""
        newest = repository.recent_failures(session, _digest(client), now - self.period,
                                            self.attempts)
        if len(newest) < self.attempts:
            return 0
        # The oldest of the newest ``attempts`` must leave the period first.
        return max(1, int((newest[-1] + self.period - now).total_seconds()) + 1)

    def failed(self, session: Session, client: str, now: datetime) -> None:
        repository.record_failure(session, _digest(client), now, now - self.period)

    def succeeded(self, session: Session, client: str) -> None:
        repository.forget_failures(session, _digest(client))
