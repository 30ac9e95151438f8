from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class ConsoleSession(Base):
    """A signed-in browser: only the SHA-256 digest of its cookie's token is stored, never
    the API key it signed in with (``key_id`` names the key, so revoking it ends this)."""

    __tablename__ = "console_session"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str] = mapped_column(ForeignKey("api_key.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ConsoleSignInFailure(Base):
    """A failed console sign-in, kept for the limiter's period: stored, not held in memory,
    so that every replica counts the same failures. ``client`` is the SHA-256 digest of the
    client's address (the address itself is not kept)."""

    __tablename__ = "console_sign_in_failure"
    __table_args__ = (Index("ix_console_sign_in_failure_client_at", "client", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
