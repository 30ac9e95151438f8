"""The public face of an owner: status now, the coming breaks, and an iCalendar feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy.orm import Session

from app import validation
from app.domain import rendering, when
from app.domain.model import Window
from app.owners.models import Owner
from app.windows import repository as windows_repository
from app.windows.policy import policy_of, to_domain

FEED_PAST = timedelta(days=60)
FEED_FUTURE = timedelta(days=400)
AWAY = {"ar": "إجازة", "en": "Away"}
EXPECTED = {"ar": " (متوقع)", "en": " (expected)"}
CALENDAR_NAME = {"ar": "الإجازات", "en": "time off"}


@dataclass(frozen=True, slots=True)
class PublicStatus:
    owner: Owner
    status: str
    window: Window | None
    back_at: datetime
    reply_by: datetime
    upcoming: list[Window]
    at: datetime
    expected: when.When | None = None


def public_status(session: Session, owner: Owner, at: datetime) -> PublicStatus:
    policy = policy_of(session, owner, at)
    expected = when.expect(policy, at)
    coming = [to_domain(r) for r in windows_repository.overlapping(
        session, owner.id, at, at + timedelta(days=120)) if r.kind == "off"]
    coming = sorted((w for w in coming if w.starts_at > at), key=lambda w: w.starts_at)[:6]
    return PublicStatus(owner=owner, status=str(expected.status), window=expected.window,
                        back_at=expected.back_at, reply_by=expected.reply_by, upcoming=coming,
                        at=at, expected=expected)


def spoken(value: datetime | None, language: str, owner: Owner, at: datetime) -> str:
    """An instant as the reply writes it (the year only when not ``at``'s)."""
    if value is None:
        return ""
    tz = validation.zone(owner.timezone)
    return rendering.spoken_instant(value, language, tz, this_year=at.astimezone(tz).year)


def when_text(value: datetime | None, language: str, owner: Owner) -> str:
    if value is None:
        return ""
    return rendering.format_instant(value, language, validation.zone(owner.timezone))


def day(value: datetime | None, language: str, owner: Owner) -> str:
    if value is None:
        return ""
    return rendering.format_date_only(value.astimezone(validation.zone(owner.timezone)).date(),
                                      language)


def ramadan_hours(session: Session, owner: Owner, at: datetime) -> Window | None:
    """The current or next Ramadan window with reduced hours (its reply slots), if any."""
    rows = windows_repository.overlapping(session, owner.id, at, at + FEED_FUTURE)
    for row in rows:
        if row.occasion == "ramadan" and row.kind == "reduced":
            return to_domain(row)
    return None


def _whole_days(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[date, date] | None:
    """(first day, day after the last) when the window runs midnight to midnight locally."""
    a, b = start.astimezone(tz), end.astimezone(tz)
    if a.timetz().replace(tzinfo=None) == time() and b.timetz().replace(tzinfo=None) == time():
        return a.date(), b.date()
    return None


def ics_feed(session: Session, owner: Owner, at: datetime, base_url: str) -> bytes:
    """Off windows as events: whole days as all-day events (DATE values), titles in the
    owner's first language, SEQUENCE growing with each change of a window."""
    tz = validation.zone(owner.timezone)
    language = owner.languages[0] if owner.languages else "ar"
    cal = Calendar()
    cal.add("prodid", "-//Ijaza//ijaza//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{owner.name} — {CALENDAR_NAME[language]}")
    cal.add("x-wr-timezone", owner.timezone)
    for row in windows_repository.overlapping(session, owner.id, at - FEED_PAST, at + FEED_FUTURE):
        if row.kind != "off":
            continue
        event = Event()
        event.add("uid", f"{row.id}@ijaza")
        titles = row.title or {}
        title = titles.get(language) or titles.get("en") or titles.get("ar") or \
            AWAY[language]
        if row.tentative:
            title += EXPECTED[language]
        event.add("summary", title)
        days = _whole_days(row.starts_at, row.ends_at, tz)
        if days is not None:
            event.add("dtstart", days[0])
            event.add("dtend", days[1])
        else:
            event.add("dtstart", row.starts_at)
            event.add("dtend", row.ends_at)
        event.add("dtstamp", row.updated_at)
        # A window keeps its id and created_at across changes; updated_at only moves on.
        event.add("sequence", max(0, int((row.updated_at - row.created_at).total_seconds())))
        event.add("status", "TENTATIVE" if row.tentative else "CONFIRMED")
        event.add("transp", "OPAQUE")
        back = back_after(session, owner, to_domain(row))
        event.add("description", back_text(back, owner, at, language))
        event.add("x-ijaza-back-at", back.back_at.isoformat())
        event.add("url", f"{base_url.rstrip('/')}/p/{owner.id}")
        cal.add_component(event)
    return cal.to_ical()


def back_after(session: Session, owner: Owner, window: Window) -> when.When:
    """What a client writing during ``window`` is told (the feed says the same)."""
    return when.expect(policy_of(session, owner, window.starts_at), window.starts_at)


def back_text(expected: when.When, owner: Owner, at: datetime, language: str = "en") -> str:
    """"Back on Sunday 31 May (14 Dhu al-Hijjah), 9:00 AM Riyadh time" / «نعود يوم الأحد
    31 مايو (14 ذو الحجة)، 9:00 ص بتوقيت الرياض», with the range when the moon sighting can
    change the day, as the reply writes it."""
    tz = validation.zone(owner.timezone)
    year = at.astimezone(tz).year
    back = rendering.spoken_instant(expected.back_at, language, tz, this_year=year)
    text = f"نعود يوم {back}" if language == "ar" else f"Back on {back}"
    if expected.earliest_back is not None and expected.latest_back is not None:
        low, high = (rendering.spoken_day(d.astimezone(tz).date(), language, this_year=year,
                                          with_hijri=False)
                     for d in (expected.earliest_back, expected.latest_back))
        text += (f" (حسب رؤية الهلال: بين {low} و{high})" if language == "ar"
                 else f" (subject to the moon sighting: between {low} and {high})")
    return text + "."
