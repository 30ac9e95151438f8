"""The calendar as the API sees it: a country's year, and the confirmations that move
every affected owner's windows (and tell the clients who were given the old dates). The
dates themselves come from the pure ``app.domain`` calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from app import clock
from app.country_calendar import repository
from app.country_calendar.models import Confirmation
from app.domain import countries, hijri, occasions
from app.domain.countries import ISLAMIC_OCCASIONS
from app.domain.model import OccasionDate
from app.domain.occasions import NationalHoliday
from app.errors import Invalid, NotFound
from app.notices.service import queue_corrections
from app.windows.computed import rematerialise_many

CONFIRMABLE = ISLAMIC_OCCASIONS  # the Hijri occasions: their dates hang on the moon
TYPO_GUARD_DAYS = 2


def country_code(code: str) -> str:
    try:
        return countries.country(code).code
    except countries.UnknownCountry as exc:
        raise NotFound(f"No country '{code}'. Supported: {', '.join(countries.supported_countries())}.",
                       supported=countries.supported_countries()) from exc


def check_year(year: int) -> None:
    try:
        hijri.check_gregorian_year(year)
    except hijri.OutOfRange as exc:
        raise Invalid(str(exc), field="year") from exc


def _confirmation_key(confirmations: dict[tuple[str, int], date]) -> tuple:
    return tuple(sorted(confirmations.items()))


@dataclass(frozen=True, slots=True)
class CountryYear:
    country: str
    year: int
    weekend: tuple[str, ...]
    occasions: list[OccasionDate]
    holidays: list[NationalHoliday]


_changed = 0


def confirmations_changed() -> int:
    """How many times this process has changed a confirmation (a calendar encoded before
    the last change is stale)."""
    return _changed


def _note_change() -> None:
    global _changed
    _changed += 1


def country_year(session: Session, code: str, year: int, *, today: date) -> CountryYear:
    code = country_code(code)
    check_year(year)
    confirmations = repository.active_confirmations(session, code)
    try:
        found = occasions.occasions_for_year(code, year, today=today,
                                             confirmations=confirmations)
        national = occasions.national_holidays(code, year, today=today)
    except hijri.OutOfRange as exc:
        raise Invalid(str(exc), field="year") from exc
    return CountryYear(country=code, year=year, weekend=tuple(countries.country(code).weekend),
                       occasions=found, holidays=national)


def _nearest_occurrence(code: str, occasion: str, day: date, *, today: date) -> OccasionDate:
    try:
        hy = hijri.to_hijri(day)[0]
    except hijri.OutOfRange as exc:
        raise Invalid(str(exc), field="date") from exc
    best: OccasionDate | None = None
    for year in (hy - 1, hy, hy + 1):
        try:
            found = occasions.occurrence(code, occasion, year, today=today)
        except hijri.OutOfRange:
            continue
        if best is None or abs((found.date - day).days) < abs((best.date - day).days):
            best = found
    if best is None:
        raise Invalid(f"No {occasion} near {day.isoformat()}.", field="date")
    return best


@dataclass(frozen=True, slots=True)
class Confirmed:
    confirmation: Confirmation
    occurrence: OccasionDate
    owners_updated: int
    windows_moved: int


def confirm(session: Session, code: str, occasion: str, day: date, *, hijri_year: int | None,
            force: bool, note: str | None, by: str, today: date | None = None) -> Confirmed:
    """Record an announced date; move every affected owner's windows in this transaction."""
    code = country_code(code)
    if occasion not in CONFIRMABLE:
        raise Invalid(f"'{occasion}' cannot be confirmed; one of: {', '.join(CONFIRMABLE)}.",
                      field="occasion")
    today = today or clock.now().date()
    if hijri_year is None:
        predicted = _nearest_occurrence(code, occasion, day, today=today)
        hijri_year = predicted.hijri_year
    else:
        try:
            predicted = occasions.occurrence(code, occasion, hijri_year, today=today)
        except hijri.OutOfRange as exc:
            raise Invalid(str(exc), field="hijri_year") from exc
    assert hijri_year is not None
    distance = abs((day - predicted.date).days)
    if distance > TYPO_GUARD_DAYS and not force:
        raise Invalid(
            f"{day.isoformat()} is {distance} days from the expected {occasion} "
            f"{hijri_year} ({predicted.date.isoformat()}); send \"force\": true if the "
            "announcement really says so.", field="date")
    previous = repository.active_confirmation(session, code, occasion, hijri_year)
    now = clock.now()
    if previous is not None:
        previous.withdrawn_at = now
    row = Confirmation(country=code, occasion=occasion, hijri_year=hijri_year, date=day,
                       predicted_date=predicted.date, forced=force, note=note,
                       confirmed_by=by, created_at=now)
    repository.add(session, row)
    _note_change()
    owners, moved = _move_windows(session, code, day, today=today)
    occurrence = occasions.occurrence(code, occasion, hijri_year, today=today,
                                      confirmations=repository.active_confirmations(session, code))
    return Confirmed(confirmation=row, occurrence=occurrence, owners_updated=owners,
                     windows_moved=moved)


def withdraw(session: Session, code: str, confirmation_id: int, *,
             today: date | None = None) -> Confirmation:
    code = country_code(code)
    row = repository.confirmation(session, confirmation_id)
    if row is None or row.country != code or row.withdrawn_at is not None:
        raise NotFound(f"No active confirmation {confirmation_id} for {code}.")
    row.withdrawn_at = clock.now()
    session.flush()
    _note_change()
    _move_windows(session, code, row.date, today=today or clock.now().date())
    return row


def _move_windows(session: Session, code: str, day: date, *, today: date) -> tuple[int, int]:
    around = datetime.combine(day, time(12), tzinfo=UTC)
    affected = repository.owners_near(session, code, around)
    confirmations = repository.active_confirmations(session, code)  # once, not per owner
    moved = []
    for first in range(0, len(affected), 500):  # one flush per 500 owners, one transaction
        moved += rematerialise_many(session, affected[first:first + 500], today=today,
                                    confirmations=confirmations)
    if moved:
        queue_corrections(session, moved)
    return len(affected), len(moved)
