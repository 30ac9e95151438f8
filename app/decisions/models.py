from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime

# The situations whose replies gave a client a window's dates (a correction follows when
# the window moves).
TOLD_DATES = ("off", "reduced", "urgent", "advance_notice", "correction")


class EventRow(Base):
    """The audit trail: one row per inbound message and the decision taken for it."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_owner_created", "owner_id", "id"),
        Index("ix_event_owner_client_replied", "owner_id", "client_key", "replied_at"),
        Index("ix_event_dedupe", "owner_id", "source", "dedupe_key", unique=True),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    owner_id: Mapped[str] = mapped_column(ForeignKey("owner.id", ondelete="CASCADE"))
    contact_id: Mapped[str | None] = mapped_column(
        ForeignKey("contact.id", ondelete="SET NULL"), nullable=True, index=True
    )
    client_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source: Mapped[str] = mapped_column(String(64))  # "api" or a channel id
    dedupe_key: Mapped[str | None] = mapped_column(String(300), nullable=True)
    kind: Mapped[str] = mapped_column(String(24), default="inbound")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    window_id: Mapped[str | None] = mapped_column(String(160), nullable=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    suppressed: Mapped[str | None] = mapped_column(String(32), nullable=True)
    situation: Mapped[str | None] = mapped_column(String(24), nullable=True)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reply_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    tone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    back_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reply_by: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decision: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OwnerActivity(Base):
    """The owner was seen active (answered a client): auto-replies pause until ``until``."""

    __tablename__ = "owner_activity"
    __table_args__ = (Index("ix_owner_activity_lookup", "owner_id", "until"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    owner_id: Mapped[str] = mapped_column(ForeignKey("owner.id", ondelete="CASCADE"))
    client_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
