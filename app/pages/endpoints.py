from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from babel.dates import get_day_names
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from app import clock, validation
from app.decisions.service import window_out
from app.deps import SessionDep
from app.domain import countries, hours, rendering, text
from app.errors import NotFound
from app.owners import repository
from app.pages import service

router = APIRouter(tags=["public pages"])
_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)

# "and" runs into the next word: «و» is written joined to it, "and " with its space.
TEXT = {
    "ar": {"available": "متاح الآن", "outside_hours": "خارج ساعات العمل", "reduced": "ساعات عمل مخفّضة",
           "off": "في إجازة", "back": "نعود", "reply_by": "نرد على رسالتك قبل", "coming": "الإجازات القادمة",
           "none": "لا إجازات قريبة.", "expected": "متوقع — حسب رؤية الهلال", "urgent": "للأمور العاجلة",
           "between": "بين", "and": "و", "feed": "أضف الإجازات إلى تقويمك", "hours": "ساعات العمل",
           "other": "English", "from": "من", "to": "إلى", "ramadan": "ساعات رمضان",
           "response_time": "مدة الرد المعتادة", "day_off": "راحة", "reply_slots": "أوقات الرد"},
    "en": {"available": "Available now", "outside_hours": "Outside working hours",
           "reduced": "Reduced hours", "off": "Away", "back": "Back", "reply_by": "Expect a reply by",
           "coming": "Coming breaks", "none": "No breaks coming up.",
           "expected": "expected — subject to the moon sighting", "urgent": "If it is urgent",
           "between": "between", "and": "and ", "feed": "Add the breaks to your calendar",
           "hours": "Working hours", "other": "العربية", "from": "from", "to": "to",
           "ramadan": "Ramadan hours", "response_time": "Usual response time",
           "day_off": "closed", "reply_slots": "Reply slots"},
}


def _owner(session, owner_id: str):  # noqa: ANN001, ANN202
    owner = repository.get(session, owner_id) if len(owner_id) <= 64 else None
    # A private owner answers exactly like an unknown one.
    if owner is None or not owner.public_page:
        raise NotFound(f"No owner '{owner_id}'.")
    return owner


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _week(country: str) -> list[str]:
    return list(hours.week_from_first_working_day(countries.country(country).weekend))


def _weekday_name(code: str, language: str) -> str:
    return str(get_day_names("wide", locale="ar" if language == "ar" else "en")[
        WEEKDAYS.index(code)])


@router.get("/p/{owner_id}.ics", summary="iCalendar feed of the owner's off-periods",
            response_class=Response)
def ics(owner_id: str, request: Request, session: SessionDep) -> Response:
    owner = _owner(session, owner_id)
    body = service.ics_feed(session, owner, clock.now(), request.app.state.settings.public_base_url)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=900"})


@router.get("/p/{owner_id}/status.json", summary="The owner's status now, as JSON")
def status_json(owner_id: str, session: SessionDep) -> dict:
    owner = _owner(session, owner_id)
    st = service.public_status(session, owner, clock.now())
    tz = validation.zone(owner.timezone)
    return {"owner": owner.id, "name": owner.name, "status": st.status,
            "at": st.at.astimezone(tz).isoformat(),
            "window": window_out(st.window, tz).model_dump(mode="json") if st.window else None,
            "back_at": st.back_at.astimezone(tz).isoformat(),
            "reply_by": st.reply_by.astimezone(tz).isoformat(),
            "tentative": bool(st.expected and st.expected.tentative),
            "earliest_back": _iso(st.expected.earliest_back if st.expected else None, tz),
            "latest_back": _iso(st.expected.latest_back if st.expected else None, tz),
            "upcoming": [window_out(w, tz).model_dump(mode="json") for w in st.upcoming],
            "urgent_contact": owner.urgent_contact if owner.urgent_contact_public else None}


def _iso(value, tz) -> str | None:  # noqa: ANN001
    return value.astimezone(tz).isoformat() if value is not None else None


@router.get("/p/{owner_id}", response_class=HTMLResponse,
            summary="Public status page (Arabic, right-to-left, or English)")
def page(owner_id: str, session: SessionDep,
         lang: Annotated[Literal["ar", "en"] | None, Query()] = None) -> HTMLResponse:
    owner = _owner(session, owner_id)
    language = lang or (owner.languages[0] if owner.languages else "ar")
    now = clock.now()
    st = service.public_status(session, owner, now)
    week = _week(owner.country)
    ramadan = service.ramadan_hours(session, owner, now)
    html = _env.get_template("status.html").render(
        owner=owner, st=st, lang=language, t=TEXT[language],
        dir="rtl" if language == "ar" else "ltr",
        other="en" if language == "ar" else "ar",
        when=lambda v: service.spoken(v, language, owner, st.at),
        day=lambda v: service.day(v, language, owner),
        last_day=lambda v: service.day(v - timedelta(seconds=1), language, owner),
        title=lambda w: (w.title or {}).get(language) or (w.title or {}).get("en") or "",
        week=week, weekday=lambda d: _weekday_name(d, language),
        hours={d: (owner.working_hours or {}).get(d, []) for d in week},
        # the return as the replies and the feed say it (app.domain.when): the day the
        # owner is back, and the other one only when the sighting can really move it
        backs={w.id: service.back_after(session, owner, w) for w in st.upcoming},
        # "+966 50 000 0000" after an Arabic name read as Arabic digits, groups reversed:
        # each run in the other direction is isolated, as in the replies
        urgent=text.isolate(text.clean_name(owner.urgent_contact), language),
        ramadan=ramadan,
        ramadan_slots=[hours.format_daily_interval(s) for s in ramadan.reply_slots]
        if ramadan else [],
        response_time=rendering.spoken_iso_duration(owner.response_time, language))
    return HTMLResponse(html, headers={"Cache-Control": "no-cache"})
