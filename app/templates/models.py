from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class TemplateRow(Base):
    """An owner's own wording for one situation, language and tone."""

    __tablename__ = "reply_template"

    owner_id: Mapped[str] = mapped_column(ForeignKey("owner.id", ondelete="CASCADE"),
                                          primary_key=True)
    situation: Mapped[str] = mapped_column(String(24), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    tone: Mapped[str] = mapped_column(String(16), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(String(200), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
