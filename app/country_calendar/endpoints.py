from __future__ import annotations

import hashlib
import time
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from app import clock
from app.country_calendar import repository, service
from app.country_calendar.schemas import (
    CandidateRead,
    ConfirmationCreate,
    ConfirmationRead,
    ConfirmationResult,
    CountryYearRead,
    HolidaySpan,
    LocalizedName,
    NationalHolidayRead,
    OccasionRead,
    PredictionRead,
    source_name,
)
from app.deps import AdminDep, SessionDep, in_own_session
from app.domain import countries
from app.domain.model import OccasionDate, Prediction
from app.pagination import CursorQuery, LimitQuery, Page, decode_cursor, page_of

router = APIRouter(prefix="/v1/calendar", tags=["calendar"])


def occasion_read(o: OccasionDate) -> OccasionRead:
    holiday = (HolidaySpan(first_day=o.holiday_first_day, last_day=o.holiday_last_day)
               if o.holiday_first_day and o.holiday_last_day else None)
    return OccasionRead(
        occasion=o.occasion, hijri_year=o.hijri_year, date=o.date, end_date=o.end_date,
        hijri_date=o.hijri_date, name=LocalizedName(**o.name), tentative=o.tentative,
        earliest=o.earliest, latest=o.latest, source=source_name(o.source),
        confirmed_by=o.confirmed_by, holiday=holiday,
        predicted=prediction_read(o.predicted) if o.predicted else None)


def prediction_read(p: Prediction) -> PredictionRead:
    return PredictionRead(
        date=p.date, earliest=p.earliest, latest=p.latest, method=p.method,
        candidates=[CandidateRead(date=c.date, probability=c.probability)
                    for c in p.candidates])


@router.get("", summary="Supported countries")
def list_countries() -> dict[str, list[str]]:
    return {"countries": countries.supported_countries()}


# The app keeps encoded calendars (``app.state.calendars``) by (country, year, today, this
# process's confirmation changes): another process's confirmation shows here within
# CACHE_SECONDS, this process's at once.
CACHE_SECONDS = 5.0


def _encode(session: Session, country: str, year: int, today: date) -> tuple[bytes, str]:
    data = service.country_year(session, country, year, today=today)
    body = CountryYearRead(
        country=data.country, year=data.year, weekend=list(data.weekend),
        occasions=[occasion_read(o) for o in data.occasions],
        holidays=[NationalHolidayRead(date=h.date, name=LocalizedName(**h.name),
                                      tentative=h.tentative) for h in data.holidays],
    ).model_dump_json().encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@router.get("/{country}", response_model=CountryYearRead,
            summary="A country's occasions and public holidays for a Gregorian year",
            responses={304: {"description": "Not modified (ETag)"}})
async def country_year(
    country: str, request: Request,
    year: Annotated[int | None, Query(ge=1, le=9999, description="Gregorian year; default: this year")] = None,
) -> Response:
    today = clock.now().date()
    year = year or today.year
    country = service.country_code(country)  # bad input is refused before any database work
    service.check_year(year)
    encoded = request.app.state.calendars
    key = (country, year, today, service.confirmations_changed())
    cached = encoded.get(key)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        body, etag = cached[1], cached[2]
    else:
        body, etag = await in_own_session(
            request, lambda session: _encode(session, country, year, today),
            share=("calendar", *key))
        if len(encoded) > 1_000:
            encoded.clear()
        encoded[key] = (time.monotonic(), body, etag)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/{country}/confirmations", response_model=Page[ConfirmationRead])
def list_confirmations(country: str, session: SessionDep, limit: LimitQuery = 50,
                       cursor: CursorQuery = None,
                       include_withdrawn: bool = False) -> Page[ConfirmationRead]:
    code = service.country_code(country)
    after = decode_cursor(cursor)
    rows = repository.page(session, code, limit=limit,
                           after=int(after) if isinstance(after, int) else None,
                           include_withdrawn=include_withdrawn)
    return page_of(rows, limit, item=lambda r: ConfirmationRead.model_validate(r),
                   cursor=lambda r: r.id)


def _status_url(row: ConfirmationRead) -> str:
    return f"/v1/calendar/{row.country}/confirmations/{row.id}"


@router.post("/{country}/confirmations", response_model=ConfirmationResult, status_code=202,
             summary="Record an announced date (admin key); the owners are re-planned "
                     "afterwards (follow status_url)")
def confirm(country: str, body: ConfirmationCreate, session: SessionDep,
            principal: AdminDep, response: Response) -> ConfirmationResult:
    done = service.confirm(session, country, body.occasion, body.date,
                           hijri_year=body.hijri_year, force=body.force, note=body.note,
                           by=f"key:{principal.key_id}")
    read = ConfirmationRead.model_validate(done.confirmation)
    response.headers["Location"] = _status_url(read)
    return ConfirmationResult(**read.model_dump(), occurrence=occasion_read(done.occurrence),
                              status_url=_status_url(read))


@router.get("/{country}/confirmations/{confirmation_id}", response_model=ConfirmationRead,
            summary="A confirmation and how far the re-planning of its owners has got")
def confirmation(country: str, confirmation_id: int, session: SessionDep) -> ConfirmationRead:
    return ConfirmationRead.model_validate(service.confirmation(session, country,
                                                                confirmation_id))


@router.delete("/{country}/confirmations/{confirmation_id}", status_code=202,
               response_model=ConfirmationRead,
               summary="Withdraw a confirmation (admin key); the owners are re-planned "
                       "afterwards")
def withdraw(country: str, confirmation_id: int, session: SessionDep,
             _admin: AdminDep, response: Response) -> ConfirmationRead:
    read = ConfirmationRead.model_validate(service.withdraw(session, country, confirmation_id))
    response.headers["Location"] = _status_url(read)
    return read
