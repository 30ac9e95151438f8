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
from app.owners import repository as owners_repository
from app.windows.computed import Moved, rematerialise_many

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


def confirm(session: Session, code: str, occasion: str, day: date, *, hijri_year: int | None,
            force: bool, note: str | None, by: str, today: date | None = None) -> Confirmed:
    """Record an announced date. The affected owners are counted here and re-planned
    afterwards, in batches (``replan_batch``), so that the answer does not wait for them."""
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
        if previous.status in repository.REPLANNING:
            previous.status = "superseded"  # the new one re-plans every owner anyway
    row = Confirmation(country=code, occasion=occasion, hijri_year=hijri_year, date=day,
                       predicted_date=predicted.date, forced=force, note=note,
                       confirmed_by=by, created_at=now, status="applying",
                       owners_total=repository.count_owners_near(session, code, _around(day)),
                       owners_done=0, corrections_queued=0)
    repository.add(session, row)
    _note_change()
    occurrence = occasions.occurrence(code, occasion, hijri_year, today=today,
                                      confirmations=repository.active_confirmations(session, code))
    return Confirmed(confirmation=row, occurrence=occurrence)


@dataclass(frozen=True, slots=True)
class Preview:
    """What a confirmation would do, were it made now: ``windows`` and ``corrections`` for
    the first ``owners_checked`` of the ``owners`` it affects (all of them when
    ``complete``)."""
    owners: int
    owners_checked: int
    windows: int
    corrections: int
    predicted_date: date
    hijri_year: int

    @property
    def complete(self) -> bool:
        return self.owners_checked >= self.owners

    def estimate(self, counted: int) -> int:
        """``counted`` (for the owners checked) scaled to every owner affected."""
        if self.complete or not self.owners_checked:
            return counted
        return round(counted * self.owners / self.owners_checked)


def preview(session: Session, code: str, occasion: str, day: date, *, hijri_year: int | None,
            force: bool, note: str | None, by: str, owners: int | None = None) -> Preview:
    """The very confirmation and its re-plan, in a savepoint rolled back: the windows it
    moves and the corrections it would queue. Nothing is kept.

    At most ``owners`` (``PREVIEW_OWNERS``) owners are re-planned: the preview is asked for
    in a request, and a whole country of 10,000 owners would hold its rows for half a
    minute on the evening intake needs them most; beyond that it counts the first ones."""
    limit = PREVIEW_OWNERS if owners is None else owners
    savepoint = session.begin_nested()
    try:
        done = confirm(session, code, occasion, day, hijri_year=hijri_year, force=force,
                       note=note, by=by)
        row = done.confirmation
        moved: list[Moved] = []
        while row.owners_done < limit and replan_batch(
                session, row.id, batch=min(PREVIEW_BATCH, limit - row.owners_done),
                moved_into=moved):
            pass
        return Preview(owners=max(row.owners_total, row.owners_done),
                       owners_checked=row.owners_done, windows=len(moved),
                       corrections=row.corrections_queued,
                       predicted_date=row.predicted_date, hijri_year=row.hijri_year)
    finally:
        savepoint.rollback()


PREVIEW_BATCH = 500
PREVIEW_OWNERS = 1_000


def withdraw(session: Session, code: str, confirmation_id: int) -> Confirmation:
    """Withdraw a confirmation; its owners are re-planned afterwards, as after one."""
    code = country_code(code)
    row = repository.confirmation(session, confirmation_id)
    if row is None or row.country != code or row.withdrawn_at is not None:
        raise NotFound(f"No active confirmation {confirmation_id} for {code}.")
    row.withdrawn_at = clock.now()
    row.status = "withdrawing"
    row.owners_total = repository.count_owners_near(session, code, _around(row.date))
    row.owners_done = row.corrections_queued = 0
    row.replan_after = row.replanned_at = None
    session.flush()
    _note_change()
    return row


def confirmation(session: Session, code: str, confirmation_id: int) -> Confirmation:
    code = country_code(code)
    row = repository.confirmation(session, confirmation_id)
    if row is None or row.country != code:
        raise NotFound(f"No confirmation {confirmation_id} for {code}.")
    return row


FINISHED = {"applying": "applied", "withdrawing": "withdrawn"}


def replan_batch(session: Session, confirmation_id: int, *, batch: int,
                 today: date | None = None, moved_into: list[Moved] | None = None) -> bool:
    """Re-plan the next ``batch`` owners a confirmation (or its withdrawal) affects, in
    this transaction, and queue one correction to each client who was given a moved
    window's old dates. Returns whether owners are left.

    The windows moved are added to ``moved_into`` when it is given (the console's preview).

    Idempotent: an owner already re-planned moves nothing, and a correction's delivery key
    names the window's new dates, so a batch run twice (a crash before its commit) sends
    nothing twice. Always against the country's confirmations as they are now, so the
    order in which two re-plans of one country run does not matter.
    """
    row = repository.lock_confirmation(session, confirmation_id)
    if row is None or row.status not in FINISHED:
        return False
    today = today or clock.now().date()
    found = repository.owners_near(session, row.country, _around(row.date),
                                   after=row.replan_after, limit=batch)
    owners = owners_repository.many(session, _fewer_if_many_told(session, found))
    moved = rematerialise_many(session, owners, today=today,
                               confirmations=repository.active_confirmations(session, row.country))
    corrections = queue_corrections(session, moved) if moved else 0
    if moved_into is not None:
        moved_into.extend(moved)
    row.owners_done += len(owners)
    row.corrections_queued += corrections
    if owners:
        row.replan_after = owners[-1].id
    if len(found) < batch and len(owners) == len(found):
        row.status = FINISHED[row.status]
        row.owners_total = max(row.owners_total, row.owners_done)  # owners added meanwhile
        row.replanned_at = clock.now()
    session.flush()
    return row.status in FINISHED


# A batch stops before the owner whose clients would take it past this many corrections
# (counted from what they were told, an upper bound): the batch is one transaction, and on
# SQLite the intake waits for it (bench/replan.py: ~1,700 corrections took ~1 s).
CORRECTIONS_PER_BATCH = 300


def _fewer_if_many_told(session: Session, owner_ids: list[str]) -> list[str]:
    """The first of ``owner_ids`` (at least one) whose told clients fit a batch."""
    told = repository.told_counts(session, owner_ids)
    total = 0
    for taken, owner_id in enumerate(owner_ids):
        total += told.get(owner_id, 0)
        if total > CORRECTIONS_PER_BATCH and taken:
            return owner_ids[:taken]
    return owner_ids


def _around(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=UTC)
