from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.domain.model import DateSource

SourceName = Literal["confirmed", "observed", "published", "predicted"]


def source_name(source: DateSource) -> SourceName:
    """``source`` as the schemas spell it (its value)."""
    match source:
        case DateSource.CONFIRMED:
            return "confirmed"
        case DateSource.OBSERVED:
            return "observed"
        case DateSource.PUBLISHED:
            return "published"
        case DateSource.PREDICTED:
            return "predicted"


class LocalizedName(BaseModel):
    ar: str
    en: str


class HolidaySpan(BaseModel):
    first_day: dt.date
    last_day: dt.date


class CandidateRead(BaseModel):
    date: dt.date
    probability: float = Field(ge=0, le=1)


class PredictionRead(BaseModel):
    date: dt.date = Field(description="The most likely day.")
    earliest: dt.date = Field(description="The first candidate with a real chance (≥ 5 %).")
    latest: dt.date = Field(description="The last candidate with a real chance (≥ 5 %).")
    candidates: list[CandidateRead] = Field(description="Every possible day; probabilities sum to 1.")
    method: str = Field(description="The country's practice the prediction follows.")


class OccasionRead(BaseModel):
    occasion: str
    hijri_year: int | None
    date: dt.date
    end_date: dt.date | None = Field(None, description="Last day, for Ramadan.")
    hijri_date: str | None
    name: LocalizedName
    tentative: bool
    earliest: dt.date
    latest: dt.date
    source: SourceName
    confirmed_by: str | None
    holiday: HolidaySpan | None
    predicted: PredictionRead | None = Field(
        None, description="What the crescent model and the country's practice say, without "
                          "observed or confirmed dates.")


class NationalHolidayRead(BaseModel):
    date: dt.date
    name: LocalizedName
    tentative: bool


class CountryYearRead(BaseModel):
    country: str
    year: int
    weekend: list[str]
    occasions: list[OccasionRead]
    holidays: list[NationalHolidayRead]


class ConfirmationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occasion: Literal["ramadan", "eid_al_fitr", "arafah", "eid_al_adha", "islamic_new_year",
                      "ashura", "mawlid"]
    date: dt.date = Field(description="The announced first day (Gregorian).")
    hijri_year: int | None = Field(None, ge=1343, le=1500,
                                   description="Default: the occurrence nearest the date.")
    force: bool = Field(False, description="Accept a date more than two days from the expected one.")
    note: str | None = Field(None, max_length=500)


class ConfirmationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    country: str
    occasion: str
    hijri_year: int
    date: dt.date
    predicted_date: dt.date
    forced: bool
    note: str | None
    confirmed_by: str
    created_at: dt.datetime
    withdrawn_at: dt.datetime | None
    status: Literal["applying", "applied", "withdrawing", "withdrawn", "superseded"] = Field(
        description="The re-planning of the country's owners: applying → applied, "
                    "withdrawing → withdrawn; superseded by a newer confirmation.")
    owners_total: int = Field(description="Owners the re-planning covers.")
    owners_done: int = Field(description="Owners re-planned so far (their messages follow "
                                         "the new dates).")
    corrections_queued: int = Field(description="Corrections queued to clients who were "
                                                "given the old dates.")
    replanned_at: dt.datetime | None


class ConfirmationResult(ConfirmationRead):
    occurrence: OccasionRead
    status_url: str = Field(description="GET it to follow the re-planning.")
