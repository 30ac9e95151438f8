from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app import validation
from app.domain.model import Status

Instant = Annotated[datetime, AfterValidator(validation.aware)]
StatusName = Literal["available", "outside_hours", "reduced", "off"]


def status_name(status: Status) -> StatusName:
    """``status`` as the schemas spell it (its value)."""
    match status:
        case Status.AVAILABLE:
            return "available"
        case Status.OUTSIDE_HOURS:
            return "outside_hours"
        case Status.REDUCED:
            return "reduced"
        case Status.OFF:
            return "off"


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(min_length=1, max_length=320,
                         description="How the client is reached (email, phone, chat id).")
    name: str | None = Field(None, max_length=200)
    language: Literal["ar", "en"] | None = None
    tone: Literal["formal", "friendly"] | None = None


class EvaluateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field("api", min_length=1, max_length=64,
                         description="Where the message came from: 'api', 'email', 'whatsapp', …")
    contact: ContactIn
    text: str = Field("", max_length=20000)
    subject: str | None = Field(None, max_length=998)
    received_at: Instant | None = Field(None, description="ISO 8601 with offset; default: now.")
    headers: dict[str, str] = Field(default_factory=dict,
                                    description="Email headers, for the RFC 3834 checks.")
    dry_run: bool = Field(False, description="Decide without recording anything.")


class WindowOut(BaseModel):
    id: str
    kind: str
    occasion: str | None
    title: dict[str, str]
    starts_at: datetime
    ends_at: datetime
    tentative: bool
    earliest_end: datetime | None
    latest_end: datetime | None


class ReplyOut(BaseModel):
    text: str
    subject: str
    language: str
    tone: str


class DecisionOut(BaseModel):
    status: StatusName
    at: datetime
    window: WindowOut | None
    back_at: datetime
    reply_by: datetime
    upcoming: list[WindowOut]
    urgent: bool
    reply: ReplyOut | None
    suppressed: str | None = Field(
        None, description="null, or why no reply: throttled | owner_active | auto_submitted | "
                          "bulk | list | own_message | opted_out | not_addressed | duplicate")
    reason: str | None = Field(
        None, description="null when a reply is sent; else why not: the suppression, or "
                          "answers_in_person (the owner is working and reads it) or "
                          "already_notified (the client was told of every coming break)")
    actions: list[str]
    event_id: int | None = None
    contact_id: str | None = None


class AvailabilityOut(BaseModel):
    status: StatusName
    at: datetime
    window: WindowOut | None
    back_at: datetime
    reply_by: datetime
    next_change: datetime | None
    upcoming: list[WindowOut]


class ActivityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact: str | None = Field(None, max_length=320,
                                description="A contact id or address; default: all conversations.")
    channel: str | None = Field(None, max_length=64)
    at: Instant | None = None


class ActivityOut(BaseModel):
    active_until: datetime
    contact_id: str | None


class EventOut(BaseModel):
    id: int
    kind: str
    at: datetime
    contact_id: str | None
    source: str
    text: str | None
    status: str
    window_id: str | None
    urgent: bool
    suppressed: str | None
    situation: str | None
    replied: bool
    decision: dict[str, Any]
