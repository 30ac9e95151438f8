from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime


class RuleRow(Base):
    """An owner's own treatment of an occasion; overrides the country's defaults."""

    __tablename__ = "rule"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("owner.id", ondelete="CASCADE"), index=True)
    occasion: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    span: Mapped[dict[str, Any]] = mapped_column(JSONType)
    reply_slots: Mapped[list[str]] = mapped_column(JSONType, default=list)
    response_time: Mapped[str | None] = mapped_column(String(32), nullable=True)
    notice_days: Mapped[int] = mapped_column(Integer, default=7)
    title: Mapped[dict[str, str] | None] = mapped_column(JSONType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    def as_rule_dict(self) -> dict[str, Any]:
        return {"id": self.id, "occasion": self.occasion, "kind": self.kind, "span": self.span,
                "reply_slots": self.reply_slots or [], "response_time": self.response_time,
                "notice_days": self.notice_days, "title": self.title}
