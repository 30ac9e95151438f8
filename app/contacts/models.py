from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime


class Contact(Base):
    """A client on one channel. Contacts sharing a ``client_key`` are one person."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("owner_id", "channel", "address"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owner.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    tone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    vip: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    client_key: Mapped[str] = mapped_column(String(64), index=True)
    last_channel_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # What the channel needs to write to this client again (chat id, thread, message id).
    reply_context: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
