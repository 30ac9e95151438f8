from __future__ import annotations

import datetime as dt
from datetime import datetime

from sqlalchemy import Boolean, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UTCDateTime


class Confirmation(Base):
    """An operator's record of an announced date (moon sighting) for one occasion."""

    __tablename__ = "confirmation"
    __table_args__ = (
        Index("ix_confirmation_lookup", "country", "occasion", "hijri_year", "withdrawn_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    country: Mapped[str] = mapped_column(String(8))
    occasion: Mapped[str] = mapped_column(String(32))
    hijri_year: Mapped[int] = mapped_column(Integer)
    date: Mapped[dt.date] = mapped_column(Date)
    predicted_date: Mapped[dt.date] = mapped_column(Date)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    confirmed_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The re-planning of the country's owners that the confirmation (or its withdrawal)
    # asks for, run in batches off the request path: ``status`` is applying → applied, or
    # withdrawing → withdrawn (superseded: replaced by a newer confirmation); owners are
    # taken in id order and ``replan_after`` is the last one done, so an interrupted
    # re-plan resumes where it stopped.
    status: Mapped[str] = mapped_column(String(16), default="applying", index=True)
    owners_total: Mapped[int] = mapped_column(Integer, default=0)
    owners_done: Mapped[int] = mapped_column(Integer, default=0)
    corrections_queued: Mapped[int] = mapped_column(Integer, default=0)
    replan_after: Mapped[str | None] = mapped_column(String(64), nullable=True)
    replanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
