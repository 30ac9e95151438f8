from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, JSONType, UTCDateTime


class Owner(Base):
    """A business or freelancer whose clients Ijaza answers."""

    __tablename__ = "owner"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The name and the signature per reply language ({"en": …}); ``name`` where one is missing.
    names: Mapped[dict[str, str] | None] = mapped_column(JSONType, nullable=True)
    signatures: Mapped[dict[str, str] | None] = mapped_column(JSONType, nullable=True)
    timezone: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(8))
    languages: Mapped[list[str]] = mapped_column(JSONType)
    tone: Mapped[str] = mapped_column(String(16), default="formal")
    working_hours: Mapped[dict[str, Any]] = mapped_column(JSONType)
    response_time: Mapped[str] = mapped_column(String(32), default="PT4H")
    urgent_contact: Mapped[str | None] = mapped_column(Text, nullable=True)
    delegate: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    urgent_keywords: Mapped[list[str] | None] = mapped_column(JSONType, nullable=True)
    reply_once_per: Mapped[str] = mapped_column(String(32), default="P4D")
    active_for: Mapped[str] = mapped_column(String(32), default="PT10M")
    notice_audience_days: Mapped[int] = mapped_column(Integer, default=60)
    digest_to: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    tell_when_back: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    public_page: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    urgent_contact_public: Mapped[bool] = mapped_column(Boolean, default=False,
                                                        server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
