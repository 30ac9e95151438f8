from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app import validation
from app.domain import hours

Tone = Literal["formal", "friendly"]
Language = Literal["ar", "en"]
Duration = Annotated[str, AfterValidator(validation.duration)]
Timezone = Annotated[str, AfterValidator(validation.timezone_name)]
Country = Annotated[str, AfterValidator(validation.country_code)]
Slug = Annotated[str, AfterValidator(validation.slug)]
WorkingHoursSpec = dict[str, list[str]]

WORKING_HOURS_DOC = (
    "Weekday (mon…sun) → intervals 'HH:MM-HH:MM' in the owner's timezone. Several "
    "intervals a day are allowed; an interval whose end is not after its start runs past "
    "midnight ('22:00-02:00'). A day left out is a day off. Default: 09:00–17:00 outside "
    "the country's weekend."
)


def _check_hours(value: WorkingHoursSpec | None) -> WorkingHoursSpec | None:
    if value is None:
        return None
    return hours.working_hours_to_spec(hours.parse_working_hours(value))


def _both_languages() -> list[Language]:
    return ["ar", "en"]


class Delegate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    channel_id: str | None = Field(default=None, max_length=32,
                                   description="A connected channel to forward urgent messages to.")
    address: str | None = Field(default=None, max_length=320,
                                description="The delegate's address on that channel.")


class Destination(BaseModel):
    """Where the owner's own messages (the back-from-leave digest) go."""

    model_config = ConfigDict(extra="forbid")

    channel_id: str = Field(max_length=32, description="A connected channel of this owner.")
    address: str = Field(min_length=1, max_length=320,
                         description="The owner's address on that channel.")


PerLanguage = dict[Language, Annotated[str, Field(min_length=1, max_length=200)]]
NAMES_DOC = ("The name per reply language, e.g. {\"ar\": \"استوديو نخلة\", \"en\": "
             "\"Nakhla Studio\"}; `name` is used for a language without one.")
SIGNATURES_DOC = ("What replies in each language are signed with, e.g. {\"en\": \"Layla, "
                  "Nakhla Studio\"}; without one a reply is signed with the name in its language.")


class OwnerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    names: PerLanguage | None = Field(default=None, description=NAMES_DOC)
    signatures: PerLanguage | None = Field(default=None, description=SIGNATURES_DOC)
    timezone: Timezone = Field(description="IANA timezone, e.g. Asia/Riyadh.")
    country: Country = Field(description="ISO 3166 alpha-2 code, or 'none' for pure Umm al-Qura.")
    languages: Annotated[list[Language], AfterValidator(validation.languages)] = Field(
        default_factory=_both_languages, min_length=1, max_length=2)
    tone: Tone = "formal"
    working_hours: Annotated[WorkingHoursSpec | None, AfterValidator(_check_hours)] = Field(
        default=None, description=WORKING_HOURS_DOC)
    response_time: Duration = Field(default="PT4H", description="Usual response time, in working time.")
    urgent_contact: str | None = Field(default=None, max_length=500,
                                       description="Who to reach when it is urgent (shown in replies).")
    delegate: Delegate | None = None
    urgent_keywords: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=200, description="Replaces the default Arabic and English keywords.")
    reply_once_per: Duration = Field(default="P4D", description="One reply per client per this period outside windows.")
    active_for: Duration = Field(default="PT10M", description="How long owner activity suppresses replies.")
    notice_audience_days: int = Field(default=60, ge=1, le=366)
    digest_to: Destination | None = Field(default=None, description="Send the back-from-leave digest here.")
    tell_when_back: bool = Field(default=False, description=(
        "When an off window is over, tell the clients who wrote during it that you are back "
        "(once each, on your first working hour, through the channel they last used)."))
    public_page: bool = Field(default=False, description=(
        "Show the public status page /p/{owner} and its .ics feed (otherwise they are 404)."))
    urgent_contact_public: bool = Field(default=False, description=(
        "Show the urgent contact on the public page (it is always in replies)."))


class OwnerCreate(OwnerFields):
    id: Slug = Field(description="A slug: lower-case letters, digits, '-' and '_'.",
                    examples=["demo"])


class OwnerUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    names: PerLanguage | None = Field(default=None, description=NAMES_DOC)
    signatures: PerLanguage | None = Field(default=None, description=SIGNATURES_DOC)
    timezone: Timezone | None = None
    country: Country | None = None
    languages: Annotated[list[Language], AfterValidator(validation.languages)] | None = Field(
        default=None, min_length=1, max_length=2)
    tone: Tone | None = None
    working_hours: Annotated[WorkingHoursSpec | None, AfterValidator(_check_hours)] = Field(
        default=None, description=WORKING_HOURS_DOC)
    response_time: Duration | None = None
    urgent_contact: str | None = Field(default=None, max_length=500)
    delegate: Delegate | None = None
    urgent_keywords: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None, max_length=200)
    reply_once_per: Duration | None = None
    active_for: Duration | None = None
    notice_audience_days: int | None = Field(default=None, ge=1, le=366)
    digest_to: Destination | None = None
    tell_when_back: bool | None = None
    public_page: bool | None = None
    urgent_contact_public: bool | None = None


class OwnerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    names: dict[str, str] | None
    signatures: dict[str, str] | None
    timezone: str
    country: str
    languages: list[str]
    tone: str
    working_hours: WorkingHoursSpec
    response_time: str
    urgent_contact: str | None
    delegate: Delegate | None
    urgent_keywords: list[str] | None
    reply_once_per: str
    active_for: str
    notice_audience_days: int
    digest_to: Destination | None
    tell_when_back: bool
    public_page: bool
    urgent_contact_public: bool
    created_at: datetime
    updated_at: datetime
