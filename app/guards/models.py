from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class SeenToken(Base):
    """A webhook token already accepted (Mailgun signs only timestamp + token: a reuse
    within its window is a replay)."""

    __tablename__ = "seen_token"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    token: Mapped[str] = mapped_column(String(128), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))  # of the body it came with
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class RateCount(Base):
    """How many requests one replica let through for one bucket in one minute."""

    __tablename__ = "rate_count"

    bucket: Mapped[str] = mapped_column(String(96), primary_key=True)
    minute: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    replica: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
