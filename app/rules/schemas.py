from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app import validation

OccasionName = Literal["ramadan", "eid_al_fitr", "arafah", "eid_al_adha", "islamic_new_year",
                       "ashura", "mawlid", "national"]

SPAN_DOC = (
    "How long the window lasts: {\"type\": \"holiday\"} (the country's official holiday "
    "span), {\"type\": \"days\", \"before\": 1, \"after\": 2} (around the occasion), or "
    "{\"type\": \"hijri\", \"start\": \"09-29\", \"end\": \"10-03\"} (a Hijri month-day range)."
)


class RuleFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["off", "reduced"] | None = None
    span: dict[str, Any] | None = Field(None, description=SPAN_DOC)
    reply_slots: list[Annotated[str, Field(max_length=11)]] | None = Field(
        None, max_length=12, description="Times of day ('20:00-21:00') for replies.")
    response_time: Annotated[str, AfterValidator(validation.duration)] | None = None
    notice_days: int | None = Field(None, ge=0, le=90)
    title: dict[Literal["ar", "en"], Annotated[str, Field(min_length=1, max_length=200)]] | None = None


class RuleCreate(RuleFields):
    occasion: OccasionName
    kind: Literal["off", "reduced"]
    span: dict[str, Any] = Field(default_factory=lambda: {"type": "holiday"}, description=SPAN_DOC)
    notice_days: int = Field(7, ge=0, le=90)


class RuleUpdate(RuleFields):
    pass


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    source: Literal["owner", "country"] = Field(
        "owner", description="'owner': the owner's own rule; 'country': the country's "
                             "default, in force because the owner has no rule for its "
                             "occasion (read-only: add a rule for the occasion to change it)")
    occasion: str
    kind: str
    span: dict[str, Any]
    reply_slots: list[str]
    response_time: str | None
    notice_days: int
    title: dict[str, str] | None
    notes: list[str] = Field(default_factory=list,
                             description="What the span does that it does not say, e.g. "
                                         "a Hijri day past the month's end")
    created_at: datetime | None = None
    updated_at: datetime | None = None
