from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from app import validation
from app.domain import hours
from app.domain.refusal import Refusal

Instant = Annotated[datetime, AfterValidator(validation.aware)]


def _slots(value: list[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [hours.format_daily_interval(hours.parse_daily_interval(v)) for v in value]


Slots = Annotated[list[str] | None, AfterValidator(_slots)]
Title = dict[Literal["ar", "en"], Annotated[str, Field(min_length=1, max_length=200)]]
MAX_WINDOW_DAYS = 400


def check_span(starts_at: datetime, ends_at: datetime) -> None:
    """A window starts before it ends and lasts at most ``MAX_WINDOW_DAYS`` (a new window,
    or one changed in part)."""
    if starts_at >= ends_at:
        raise Refusal("ends_before_start", "starts_at must be before ends_at")
    if (ends_at - starts_at).days > MAX_WINDOW_DAYS:
        raise Refusal("window_too_long", "a window may last at most {most} days",
                      most=MAX_WINDOW_DAYS)


class WindowCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["off", "reduced"]
    starts_at: Instant = Field(description="Start, ISO 8601 with offset.")
    ends_at: Instant = Field(description="End (exclusive), ISO 8601 with offset.")
    title: Title | None = None
    note: str | None = Field(None, max_length=2000)
    reply_slots: Slots = Field(None, description="Times of day ('20:00-21:00') when the owner "
                                                 "answers during a reduced window.")
    response_time: Annotated[str, AfterValidator(validation.duration)] | None = None
    notice_days: int = Field(7, ge=0, le=90, description="Days of advance notice to clients.")

    @model_validator(mode="after")
    def _ordered(self) -> WindowCreate:
        check_span(self.starts_at, self.ends_at)
        return self


class WindowUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["off", "reduced"] | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    title: Title | None = None
    note: str | None = Field(None, max_length=2000)
    reply_slots: Slots = None
    response_time: Annotated[str, AfterValidator(validation.duration)] | None = None
    notice_days: int | None = Field(None, ge=0, le=90)


class WindowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: str
    source: str = Field(description="manual, rule (an owner rule) or country (the country's default rules)")
    occasion: str | None
    hijri_year: int | None
    title: dict[str, str]
    note: str | None = None
    starts_at: datetime
    ends_at: datetime
    tentative: bool
    earliest_start: datetime | None
    latest_start: datetime | None
    earliest_end: datetime | None
    latest_end: datetime | None
    move_chance: float | None = Field(
        default=None, description="for a tentative window, the chance (0-1) that the moon "
        "sighting moves its end off the planned, likeliest day; null when not priced")
    reply_slots: list[str]
    response_time: str | None
    notice_days: int
