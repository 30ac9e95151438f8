from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime


class WindowRow(Base):
    """A stored window: manual ones as the owner entered them, rule ones materialised."""

    __tablename__ = "window"
    __table_args__ = (Index("ix_window_owner_span", "owner_id", "ends_at", "starts_at"),)

    id: Mapped[str] = mapped_column(String(160), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owner.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    occasion: Mapped[str | None] = mapped_column(String(32), nullable=True)
    hijri_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rule_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    tentative: Mapped[bool] = mapped_column(Boolean, default=False)
    earliest_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    latest_start: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    earliest_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    latest_end: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The chance that the sighting moves the end off its planned day (None: not priced).
    move_chance: Mapped[float | None] = mapped_column(Float, nullable=True)
    reply_slots: Mapped[list[str]] = mapped_column(JSONType, default=list)
    response_time: Mapped[str | None] = mapped_column(String(32), nullable=True)
    notice_days: Mapped[int] = mapped_column(Integer, default=7)
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
