"""The owner's console (``/admin``): server-rendered pages over the feature services.

Every page works without JavaScript: forms post, the server answers ``303 See Other`` to
the page (or the page again with the reason, ``422``, when the input is refused;
``409`` when it clashes with what is there, e.g. a second rule for one occasion). A little
vendored htmx only makes the reply preview live. Every form carries the session's CSRF
token and must come from our own origin (``403`` otherwise, and nothing changes).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app import clock, validation
from app.admin import sessions, web
from app.admin.web import Console, FormRefused, SignInRequired, redirect, render
from app.channels.registry import CHANNELS, channel_class
from app.connections import service as connections
from app.connections.schemas import ChannelCreate
from app.country_calendar import repository as confirmations
from app.country_calendar import service as calendar
from app.decisions import repository as events
from app.decisions import service as decisions
from app.deps import SessionDep
from app.domain import countries, hijri, hours, rendering, text, when
from app.domain.decision import upcoming_off
from app.domain.model import InboundMessage
from app.domain.refusal import Refusal, found_in
from app.errors import Conflict, IjazaError, Invalid, NotFound
from app.notices import service as notices
from app.outbox import repository as deliveries
from app.outbox import service as outbox
from app.owners import repository as owners_repository
from app.owners import service as owners
from app.owners.models import Owner
from app.owners.schemas import OwnerUpdate
from app.replies import service as replies
from app.rules import service as rules
from app.rules.schemas import RuleCreate, RuleUpdate
from app.templates import repository as templates_repository
from app.templates import service as templates
from app.windows import repository as windows_repository
from app.windows import service as windows
from app.windows.policy import policy_of
from app.windows.schemas import WindowCreate, WindowUpdate

router = APIRouter(prefix="/admin", include_in_schema=False)
STATIC = Path(__file__).parent / "static"

SITUATIONS = ("off", "reduced", "outside_hours", "advance_notice", "urgent", "correction", "back")
TONES = ("formal", "friendly")
VARIABLES = ("contact_name", "owner_name", "occasion_title", "period_start", "period_end",
             "back_at", "back_on", "reply_by", "earliest_end", "latest_end", "old_back_at",
             "urgent_contact", "eid_greeting", "tentative", "urgent")
PLATFORMS = tuple(p for p in CHANNELS if p != "console")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def install(app: FastAPI) -> None:
    """The console's routes and how its refusals read in a browser."""
    app.include_router(router)
    app.state.sign_in_limiter = sessions.SignInLimiter()

    async def _sign_in(request: Request, _exc: Exception) -> Response:
        return redirect("/admin")

    async def _refused(request: Request, _exc: Exception) -> Response:
        return render(request, None, "refused.html", status=403)

    app.add_exception_handler(SignInRequired, _sign_in)
    app.add_exception_handler(FormRefused, _refused)


# --- who is asking --------------------------------------------------------------------------

async def _who(request: Request, session: Session) -> Console:
    return await web.console(request, session)


def _owner(session: Session, who: Console, owner_id: str) -> Owner:
    return owners.visible_owner(session, who.principal, owner_id)


def _page(request: Request, who: Console, owner: Owner | None, template: str, *,
          status: int = 200, **context: Any) -> HTMLResponse:
    tz = validation.zone(owner.timezone) if owner is not None else None
    if owner is not None and owner.languages and who.chosen is None \
            and request.cookies.get(web.LANGUAGE_COOKIE) not in web.LANGUAGES:
        who.language = owner.languages[0]  # nothing chosen yet: the owner's first language
    language = who.language
    return render(request, who, template, status=status, owner=owner, tz=tz,
                  when=lambda v: web.when(v, language, tz or validation.zone("UTC")),
                  day=lambda v: web.day(v, language, tz),
                  hday=lambda v: web.hijri_day(v, language, tz),
                  last_day=lambda v: web.day(v - timedelta(microseconds=1), language, tz),
                  last_hday=lambda v: web.hijri_day(v - timedelta(microseconds=1), language, tz),
                  title=lambda w: _title(w, language), **context)


def _title(window: Any, language: str) -> str:
    title = getattr(window, "title", None) or {}
    return title.get(language) or title.get("en") or title.get("ar") or ""


def _row_id(value: str | None, field: str) -> int:
    """A numeric id from a form: refused, not sent to the database, when it cannot be one."""
    try:
        number = int(value or "")
    except ValueError as exc:
        raise Invalid(f"{field}: not an id", field=field) from exc
    if not 0 < number < 2**62:
        raise Invalid(f"{field}: not an id", field=field)
    return number


@dataclass(frozen=True, slots=True)
class FormError:
    """What was refused, by the field it concerns: the page names the field with its own
    label, in the console's language ("المنطقة الزمنية: …" rather than "timezone: …")."""

    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def _errors(exc: Exception, language: str) -> list[FormError]:
    words = web.WORDS[language]
    if isinstance(exc, ValidationError):
        found = []
        for e in exc.errors():
            where = [str(p) for p in e["loc"]]
            message = web.validation_text(e, language)
            # The field by the label the form gives it: ("title", "ar") is "title_ar".
            if "_".join(where) in words:
                field, rest = "_".join(where), ""
            elif where and where[0] in words:
                field, rest = where[0], ".".join(where[1:])
            else:
                field, rest = None, ".".join(where)
            found.append(FormError(field, f"{rest}: {message}" if rest else message))
        return found
    if isinstance(exc, IjazaError) and isinstance(exc.__cause__, ValidationError):
        return _errors(exc.__cause__, language)  # a service's check of a model (a channel's)
    refusal = found_in(exc)
    message = web.refusal_text(refusal, language) if refusal else str(exc)
    if isinstance(exc, IjazaError):
        named = [e.get("field") for e in exc.extra.get("errors", [])] + [exc.extra.get("field")]
        field = next((f for f in named if isinstance(f, str) and f in words), None)
        return [FormError(field, message)]
    return [FormError(None, message)]


# --- static files ---------------------------------------------------------------------------

@router.get("/static/{name}")
def static(name: str) -> Response:
    path = (STATIC / name).resolve()
    if path.parent != STATIC.resolve() or not path.is_file():
        raise NotFound("No such file.")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


# --- signing in and out ---------------------------------------------------------------------

def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("")
async def home(request: Request, session: SessionDep) -> Response:
    try:
        who = await _who(request, session)
    except SignInRequired:
        return _sign_in_form(request)
    if who.principal.owner_id is not None:
        return redirect(f"/admin/owners/{who.principal.owner_id}")
    listed = await run_in_threadpool(owners_repository.page, session, limit=200, after=None)
    return _page(request, who, None, "pick.html", owners=listed)


def _sign_in_form(request: Request, *, status: int = 200, error: str | None = None,
                  retry_after: int | None = None) -> HTMLResponse:
    nonce = request.cookies.get(web.SIGN_IN_COOKIE) or secrets.token_urlsafe(16)
    response = render(request, None, "sign_in.html", status=status, csrf=nonce, error=error,
                      retry_after=retry_after)
    response.set_cookie(web.SIGN_IN_COOKIE, nonce, httponly=True, samesite="strict",
                        secure=web.is_https(request), path="/admin")
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@router.post("/sign-in")
async def sign_in(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    nonce = request.cookies.get(web.SIGN_IN_COOKIE)
    sent = form.get("csrf")
    if not web.same_origin(request) or not nonce or not isinstance(sent, str) \
            or not hmac.compare_digest(nonce, sent):
        raise FormRefused()
    now = clock.now()
    limiter: sessions.SignInLimiter = request.app.state.sign_in_limiter
    client = _client(request)
    wait = await run_in_threadpool(limiter.retry_after, session, client, now)
    if wait:
        return _sign_in_form(request, status=429, retry_after=wait, error="slow_down")
    key = form.get("key")
    opened = None
    if isinstance(key, str) and key.strip():
        opened = await run_in_threadpool(sessions.sign_in, session, key, now)
    if opened is None:
        await run_in_threadpool(limiter.failed, session, client, now)
        return _sign_in_form(request, status=401, error="wrong_key")
    await run_in_threadpool(limiter.succeeded, session, client)
    response = redirect("/admin")
    response.set_cookie(web.SESSION_COOKIE, opened.token, httponly=True, samesite="strict",
                        secure=web.is_https(request), path="/",
                        max_age=int(sessions.SESSION_LIFETIME.total_seconds()))
    response.delete_cookie(web.SIGN_IN_COOKIE, path="/admin")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)
    await web.checked_form(request, who)
    await run_in_threadpool(sessions.sign_out, session, who.token, clock.now())
    response = redirect("/admin")
    response.delete_cookie(web.SESSION_COOKIE, path="/")
    return response


# --- overview -------------------------------------------------------------------------------

def _status(session: Session, owner: Owner, at: datetime) -> dict[str, Any]:
    """The status now: ``when.expect``, as the replies, the public page and its
    ``status.json`` read it."""
    policy = policy_of(session, owner, at)
    expected = when.expect(policy, at)
    return {"status": str(expected.status), "window": expected.window, "expected": expected,
            "back_at": expected.back_at, "reply_by": expected.reply_by,
            "upcoming": upcoming_off(policy, at)}


def _coming(session: Session, owner: Owner, at: datetime) -> list[Any]:
    rows = windows.list_windows(session, owner, at, at + timedelta(days=120), limit=20,
                                after=None)
    return [windows.read(r, owner) for r in rows if r.kind == "off" and r.ends_at > at][:6]


def _backs(session: Session, owner: Owner, coming: list[Any]) -> dict[str, when.When]:
    """For each coming break, what a client writing in it is told (as the feed says)."""
    return {w.id: when.expect(policy_of(session, owner, w.starts_at), w.starts_at)
            for w in coming}


@router.get("/owners/{owner_id}")
async def overview(owner_id: str, request: Request, session: SessionDep,
                   channel: str = "telegram") -> Response:
    who = await _who(request, session)
    platform = channel if channel in PLATFORMS else "telegram"

    def work() -> dict[str, Any]:
        owner = _owner(session, who, owner_id)
        now = clock.now()
        message = InboundMessage(platform=platform, address="console-preview", text="",
                                 received_at=now, name=None)
        outcome = decisions.evaluate(session, owner, message, dry_run=True)
        coming = _coming(session, owner, now)
        return {"owner": owner, "now": now, "st": _status(session, owner, now),
                "coming": coming, "backs": _backs(session, owner, coming),
                "decision": outcome.decision}

    data = await run_in_threadpool(work)
    return _page(request, who, data.pop("owner"), "overview.html", platform=platform,
                 platforms=PLATFORMS, **data)


# --- the year -------------------------------------------------------------------------------

@router.get("/owners/{owner_id}/year")
async def year(owner_id: str, request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)

    def work() -> tuple[Owner, list[dict[str, Any]]]:
        owner = _owner(session, who, owner_id)
        tz = validation.zone(owner.timezone)
        today = clock.now().astimezone(tz).date()
        first = today.replace(day=1)
        start = datetime.combine(first, time(), tzinfo=tz)
        end = datetime.combine(_add_months(first, 12), time(), tzinfo=tz)
        rows = [windows.read(r, owner) for r in windows.list_windows(
            session, owner, start, end, limit=500, after=None)]
        months = []
        for n in range(12):
            month = _add_months(first, n)
            after = datetime.combine(_add_months(month, 1), time(), tzinfo=tz)
            begin = datetime.combine(month, time(), tzinfo=tz)
            months.append({
                "first": month, "title": web.month_title(month, who.language),
                "hijri": _hijri_months(month, _add_months(month, 1) - timedelta(days=1),
                                       who.language),
                "windows": [w for w in rows if w.starts_at < after and w.ends_at > begin
                            and w.starts_at >= begin]})
        return owner, months

    owner, months = await run_in_threadpool(work)
    return _page(request, who, owner, "year.html", months=months)


def _add_months(first: date, n: int) -> date:
    index = first.month - 1 + n
    return date(first.year + index // 12, index % 12 + 1, 1)


def _hijri_months(first: date, last: date, language: str) -> str:
    """The Hijri months a Gregorian month spans: "Sha'ban – Ramadan 1448"."""
    try:
        (y1, m1, _), (y2, m2, _) = hijri.to_hijri(first), hijri.to_hijri(last)
    except hijri.OutOfRange:
        return ""
    a, b = hijri.month_name(m1, language), hijri.month_name(m2, language)
    if (y1, m1) == (y2, m2):
        return f"{a} {y1}"
    return f"{a} – {b} {y2}" if y1 == y2 else f"{a} {y1} – {b} {y2}"


# --- hours and settings ---------------------------------------------------------------------

def week_of(country: str) -> list[str]:
    """The week as the country reads it: from the first day after its weekend."""
    return list(hours.week_from_first_working_day(countries.country(country).weekend))


def _hours_page(request: Request, who: Console, owner: Owner, *, status: int = 200,
                errors: list[FormError] | None = None, values: dict[str, str] | None = None,
                session: Session | None = None, channels: list[Any] | None = None) -> HTMLResponse:
    week = week_of(owner.country)
    weekend = countries.country(owner.country).weekend
    spec = owner.working_hours or {}
    days = {d: ", ".join(spec.get(d, [])) for d in WEEKDAYS}
    if values:
        days = {d: values.get(f"day_{d}", days[d]) for d in WEEKDAYS}
    return _page(request, who, owner, "hours.html", status=status, week=week, weekend=weekend,
                 days=days, errors=errors or [], values=values or {},
                 countries=countries.supported_countries(),
                 channels=channels or [])


def _channels_of(session: Session, owner: Owner) -> list[Any]:
    return connections.for_owner(session, owner.id, limit=100, after=None)


@router.get("/owners/{owner_id}/hours")
async def hours_page(owner_id: str, request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)
    owner = await run_in_threadpool(_owner, session, who, owner_id)
    chans = await run_in_threadpool(_channels_of, session, owner)
    return _hours_page(request, who, owner, channels=chans)


def _intervals(typed: str) -> list[str]:
    """Intervals typed into a box, separated by commas (Arabic or Latin), as the parser
    reads them (``hours.as_typed``: Arabic-Indic digits, a phone's dash, "9:00")."""
    return [hours.as_typed(part.strip()) for part in typed.replace("،", ",").split(",")
            if part.strip()]


@router.post("/owners/{owner_id}/hours")
async def save_hours(owner_id: str, request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)
    form = await web.checked_form(request, who)
    owner = await run_in_threadpool(_owner, session, who, owner_id)
    days = {d: form.get(f"day_{d}", "") for d in WEEKDAYS}
    copy_from = form.get("copy_from")
    if copy_from in WEEKDAYS:
        # "Copy to the other days": every working day (outside the weekend) gets this one's.
        weekend = countries.country(owner.country).weekend
        for d in WEEKDAYS:
            if d not in weekend:
                days[d] = days[copy_from]
    delegate = None
    if form.get("delegate_name") or form.get("delegate_email") or form.get("delegate_channel"):
        delegate = {"name": form.get("delegate_name") or None,
                    "email": form.get("delegate_email") or None,
                    "channel_id": form.get("delegate_channel") or None,
                    "address": form.get("delegate_address") or None}
    languages = [lang for lang in (form.get("language_1"), form.get("language_2"))
                 if lang in web.LANGUAGES]
    languages = list(dict.fromkeys(languages))
    try:
        body = OwnerUpdate.model_validate({
            "name": form.get("name") or None,
            "working_hours": {d: _intervals(v) for d, v in days.items() if _intervals(v)},
            "response_time": form.get("response_time") or None,
            "urgent_contact": text.without_isolates(form.get("urgent_contact", "")) or None,
            "urgent_contact_public": form.get("urgent_contact_public") == "on",
            "public_page": form.get("public_page") == "on",
            "delegate": delegate,
            "timezone": form.get("timezone") or None,
            "country": form.get("country") or None,
            "languages": languages or None,
            "tone": form.get("tone") or None,
        })
        if copy_from in WEEKDAYS:
            # Copying shows the result first; "Save" stores it.
            values = {**form, **{f"day_{d}": v for d, v in days.items()}}
            chans = await run_in_threadpool(_channels_of, session, owner)
            return _hours_page(request, who, owner, values=values, channels=chans)
        await run_in_threadpool(owners.update, session, owner, body)
    except (ValidationError, IjazaError, ValueError) as exc:
        chans = await run_in_threadpool(_channels_of, session, owner)
        return _hours_page(request, who, owner, status=422, errors=_errors(exc, who.language),
                           values=form, channels=chans)
    return redirect(f"/admin/owners/{owner.id}/hours?saved=1")


# --- occasions ------------------------------------------------------------------------------

def _occasions_data(session: Session, owner: Owner) -> dict[str, Any]:
    """The rules in force, as ``GET /v1/owners/{owner}/rules`` lists them: the owner's own
    and the country's default for every occasion they have not made their own."""
    listed = rules.in_force(session, owner)
    return {"rules": listed,
            "own": [r for r in listed if r.source == "owner"],
            "defaults": [r for r in listed if r.source == "country"],
            "occasions": ("ramadan", "eid_al_fitr", "arafah", "eid_al_adha",
                          "islamic_new_year", "ashura", "mawlid", "national")}


@router.get("/owners/{owner_id}/occasions")
async def occasions_page(owner_id: str, request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)

    def work() -> tuple[Owner, dict[str, Any]]:
        owner = _owner(session, who, owner_id)
        return owner, _occasions_data(session, owner)

    owner, data = await run_in_threadpool(work)
    wanted = request.query_params.get("customise")
    prefill = next((d for d in data["defaults"] if d.occasion == wanted), None)
    return _page(request, who, owner, "occasions.html", errors=[], prefill=prefill,
                 existing=None, **data)


def _whole(typed: str | None, empty: int) -> int | str:
    """A whole number typed into a form, or the text itself for the rules to refuse by
    name ("a whole number of days from 0 to 60")."""
    typed = (typed or "").strip()
    if not typed:
        return empty
    return int(typed) if typed.isascii() and typed.lstrip("-").isdigit() else typed


def _rule_body(form: dict[str, str]) -> dict[str, Any]:
    span_type = form.get("span_type", "holiday")
    span: dict[str, Any] = {"type": span_type}
    if span_type == "days":
        span.update(before=_whole(form.get("before"), 0), after=_whole(form.get("after"), 0))
    elif span_type == "hijri":
        span.update(start=form.get("hijri_start", ""), end=form.get("hijri_end", ""))
    body: dict[str, Any] = {"kind": form.get("kind", "off"), "span": span,
                            "reply_slots": _intervals(form.get("reply_slots", "")),
                            "response_time": form.get("response_time") or None,
                            "notice_days": _whole(form.get("notice_days"), 7)}
    return body


def _refused_rule(form: dict[str, str]) -> dict[str, Any] | None:
    """What was typed into the "add a rule" form, to show it again beside the reason."""
    if form.get("delete") or form.get("rule_id"):
        return None
    return {"occasion": form.get("occasion"), "kind": form.get("kind"),
            "span": {"type": form.get("span_type", "holiday"), "before": form.get("before", 0),
                     "after": form.get("after", 0), "start": form.get("hijri_start", ""),
                     "end": form.get("hijri_end", "")},
            "reply_slots": _intervals(form.get("reply_slots", "")),
            "response_time": form.get("response_time"),
            "notice_days": form.get("notice_days") or 7}


@router.post("/owners/{owner_id}/occasions")
async def save_occasion(owner_id: str, request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)
    form = await web.checked_form(request, who)

    def work() -> tuple[Owner, list[FormError], Conflict | None]:
        owner = _owner(session, who, owner_id)
        try:
            if form.get("delete"):
                rules.delete(session, owner, rules.visible_rule(session, owner, form["delete"]))
            elif form.get("rule_id"):
                row = rules.visible_rule(session, owner, form["rule_id"])
                rules.update(session, owner, row, RuleUpdate.model_validate(_rule_body(form)))
            else:
                rules.create(session, owner, RuleCreate.model_validate(
                    {"occasion": form.get("occasion"), **_rule_body(form)}))
        except (ValidationError, IjazaError, ValueError) as exc:
            return owner, _errors(exc, who.language), exc if isinstance(exc, Conflict) else None
        return owner, [], None

    owner, errors, conflict = await run_in_threadpool(work)
    if errors:
        data = await run_in_threadpool(_occasions_data, session, owner)
        return _page(request, who, owner, "occasions.html",
                     status=409 if conflict else 422, errors=errors,
                     existing=conflict.extra.get("existing") if conflict else None,
                     prefill=_refused_rule(form), **data)
    return redirect(f"/admin/owners/{owner.id}/occasions?saved=1")


# --- leave ----------------------------------------------------------------------------------

def _leave_data(session: Session, owner: Owner) -> list[Any]:
    now = clock.now()
    rows = windows.list_windows(session, owner, now - timedelta(days=30),
                                now + timedelta(days=800), limit=500, after=None)
    return [windows.read(r, owner) for r in rows if r.source == "manual"]


@router.get("/owners/{owner_id}/leave")
async def leave_page(owner_id: str, request: Request, session: SessionDep,
                     edit: str | None = None) -> Response:
    who = await _who(request, session)

    def work() -> tuple[Owner, list[Any]]:
        owner = _owner(session, who, owner_id)
        return owner, _leave_data(session, owner)

    owner, rows = await run_in_threadpool(work)
    editing = next((w for w in rows if w.id == edit), None)
    return _page(request, who, owner, "leave.html", rows=rows, editing=editing, errors=[],
                 values={})


def _local_instant(day_text: str, time_text: str, tz: Any, field: str) -> datetime:
    try:
        day_value = date.fromisoformat(day_text)
        clock_value = time.fromisoformat(time_text or "00:00") if time_text != "24:00" else None
    except ValueError:
        refusal = Refusal("date_and_time", "a date YYYY-MM-DD and a time HH:MM")
        raise Invalid(str(refusal), field=field) from refusal
    if clock_value is None:
        return datetime.combine(day_value + timedelta(days=1), time(), tzinfo=tz)
    return datetime.combine(day_value, clock_value, tzinfo=tz)


@router.post("/owners/{owner_id}/leave")
async def save_leave(owner_id: str, request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)
    form = await web.checked_form(request, who)

    def work() -> tuple[Owner, list[FormError]]:
        owner = _owner(session, who, owner_id)
        tz = validation.zone(owner.timezone)
        try:
            if form.get("delete"):
                windows.delete_manual(session, windows.visible_window(session, owner,
                                                                      form["delete"]))
                return owner, []
            title = {k: v for k, v in (("ar", form.get("title_ar", "").strip()),
                                       ("en", form.get("title_en", "").strip())) if v}
            data = {"kind": form.get("kind", "off"),
                    "starts_at": _local_instant(form.get("start_date", ""),
                                                form.get("start_time", "00:00"), tz, "start"),
                    "ends_at": _local_instant(form.get("end_date", ""),
                                              form.get("end_time", "24:00"), tz, "end"),
                    "title": title or None, "note": form.get("note") or None}
            if form.get("window_id"):
                row = windows.visible_window(session, owner, form["window_id"])
                windows.update_manual(session, row, WindowUpdate.model_validate(data))
            else:
                windows.create_manual(session, owner, WindowCreate.model_validate(data))
        except (ValidationError, IjazaError, ValueError) as exc:
            return owner, _errors(exc, who.language)
        return owner, []

    owner, errors = await run_in_threadpool(work)
    if errors:
        rows = await run_in_threadpool(_leave_data, session, owner)
        return _page(request, who, owner, "leave.html", status=422, rows=rows, editing=None,
                     errors=errors, values=form)
    return redirect(f"/admin/owners/{owner.id}/leave?saved=1")


# --- replies --------------------------------------------------------------------------------

def _template_choice(query: Any) -> tuple[str, str, str]:
    situation = query.get("situation") if query.get("situation") in SITUATIONS else "off"
    language = query.get("language") if query.get("language") in web.LANGUAGES else "ar"
    tone = query.get("tone") if query.get("tone") in TONES else "formal"
    return situation, language, tone


def _preview_platform(form: dict[str, str]) -> str:
    chosen = form.get("channel", "telegram")
    return chosen if chosen in PLATFORMS else "telegram"


def _preview_kind(form: dict[str, str]) -> str:
    """How the chosen platform's replies are written: ``chat``, ``sms`` or ``email``."""
    return replies.channel_kind(_preview_platform(form))


def _is_default(source: str, situation: str, language: str, tone: str) -> bool:
    """The shipped wording, unchanged: the reply then uses the default wording written for
    each channel (short for chat and SMS), not this one text on every channel."""
    return any(source.strip() == rendering.default_template(situation, language, tone,
                                                            kind).strip()
               for kind in rendering.CHANNEL_KINDS)


def _preview(session: Session, owner: Owner, situation: str, language: str, tone: str,
             form: dict[str, str], source: str | None) -> tuple[Any, str | None]:
    tz = validation.zone(owner.timezone)
    at = clock.now()
    if form.get("at"):
        try:
            at = datetime.fromisoformat(form["at"]).replace(tzinfo=tz)
        except ValueError:
            return None, "at: YYYY-MM-DDTHH:MM"
    if source is not None and _is_default(source, situation, language, tone):
        source = None
    try:
        if source is not None:
            rendering.validate_template(source)
        reply = replies.preview(session, owner, situation=situation, language=language,
                                tone=tone, at=at, contact_name=form.get("contact_name") or None,
                                source=source, channel=_preview_kind(form))
    except (rendering.TemplateInvalid, IjazaError, ValueError) as exc:
        return None, str(exc)
    return reply, None


def _replies_context(session: Session, owner: Owner, choice: tuple[str, str, str],
                     form: dict[str, str], source: str | None) -> dict[str, Any]:
    situation, language, tone = choice
    saved = templates_repository.get(session, owner.id, situation, language, tone)
    current = source if source is not None else (
        saved.source if saved else rendering.default_template(situation, language, tone,
                                                              _preview_kind(form)))
    reply, error = _preview(session, owner, situation, language, tone, form, source)
    custom = {(r.situation, r.language, r.tone)
              for r in templates_repository.for_owner(session, owner.id)}
    tz = validation.zone(owner.timezone)
    return {"situation": situation, "tlang": language, "tone": tone, "source": current,
            "custom": saved is not None, "customised": custom, "reply": reply, "error": error,
            "at": form.get("at") or clock.now().astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
            "contact_name": form.get("contact_name", ""),
            "channel": _preview_platform(form), "channel_kind": _preview_kind(form),
            "platforms": PLATFORMS,
            "situations": SITUATIONS, "tones": TONES, "variables": VARIABLES}


@router.get("/owners/{owner_id}/replies")
async def replies_page(owner_id: str, request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)
    choice = _template_choice(request.query_params)

    def work() -> tuple[Owner, dict[str, Any]]:
        owner = _owner(session, who, owner_id)
        return owner, _replies_context(session, owner, choice, dict(request.query_params), None)

    owner, data = await run_in_threadpool(work)
    return _page(request, who, owner, "replies.html", errors=[], **data)


@router.post("/owners/{owner_id}/replies")
async def save_reply(owner_id: str, request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)
    form = await web.checked_form(request, who)
    choice = _template_choice(form)
    action = form.get("action", "preview")
    source = form.get("source", "")

    def work() -> tuple[Owner, dict[str, Any], list[FormError]]:
        owner = _owner(session, who, owner_id)
        errors: list[FormError] = []
        if action == "save":
            try:
                rendering.validate_template(source)
                if _is_default(source, *choice):
                    templates.reset(session, owner.id, *choice)
                else:
                    templates.save(session, owner.id, *choice, source)
            except rendering.TemplateInvalid as exc:
                errors.extend(_errors(exc, who.language))
        elif action == "reset":
            templates.reset(session, owner.id, *choice)
        data = _replies_context(session, owner, choice, form,
                                None if action in ("save", "reset") and not errors else source)
        return owner, data, errors

    owner, data, errors = await run_in_threadpool(work)
    if request.headers.get("hx-request") and action == "preview":
        return _page(request, who, owner, "_preview.html", **data)
    if action in ("save", "reset") and not errors:
        situation, language, tone = choice
        return redirect(f"/admin/owners/{owner.id}/replies?situation={situation}"
                        f"&language={language}&tone={tone}&saved=1")
    return _page(request, who, owner, "replies.html", status=422 if errors else 200,
                 errors=errors, **data)


# --- channels -------------------------------------------------------------------------------

def _settings_fields(platform: str) -> list[dict[str, Any]]:
    model = channel_class(platform).Settings
    secret = model.secret_names()
    return [{"name": name, "secret": name in secret, "required": name in model.required,
             "description": info.description or ""}
            for name, info in model.model_fields.items()]


def _channels_context(request: Request, session: Session, owner: Owner,
                      platform: str | None) -> dict[str, Any]:
    box, base = request.app.state.secret_box, request.app.state.settings.public_base_url
    rows = [connections.read(r, box, base) for r in _channels_of(session, owner)]
    chosen = platform if platform in PLATFORMS else None
    return {"rows": rows, "platforms": PLATFORMS, "platform": chosen,
            "fields": _settings_fields(chosen) if chosen else [],
            "modes": channel_class(chosen).modes if chosen else ()}


@router.get("/owners/{owner_id}/channels")
async def channels_page(owner_id: str, request: Request, session: SessionDep,
                        platform: str | None = None) -> Response:
    who = await _who(request, session)

    def work() -> tuple[Owner, dict[str, Any]]:
        owner = _owner(session, who, owner_id)
        return owner, _channels_context(request, session, owner, platform)

    owner, data = await run_in_threadpool(work)
    return _page(request, who, owner, "channels.html", errors=[], notice=None, **data)


@router.post("/owners/{owner_id}/channels")
async def save_channel(owner_id: str, request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)
    form = await web.checked_form(request, who)
    box = request.app.state.secret_box

    def work() -> tuple[Owner, list[FormError], str | None]:
        owner = _owner(session, who, owner_id)
        try:
            if form.get("delete"):
                connections.delete(session, owner, form["delete"])
                return owner, [], None
            if form.get("test"):
                return owner, [], _send_test(session, owner, form["test"],
                                             form.get("to", ""), box)
            platform = form.get("platform", "")
            if platform not in PLATFORMS:
                raise Invalid("Choose a platform.", field="platform")
            settings = {f["name"]: form[f"s_{f['name']}"] for f in _settings_fields(platform)
                        if form.get(f"s_{f['name']}")}
            body = ChannelCreate.model_validate({"platform": platform,
                                                 "name": form.get("name") or None,
                                                 "mode": form.get("mode") or None,
                                                 "settings": settings})
            connections.create(session, owner, body, box)
        except (ValidationError, IjazaError, ValueError) as exc:
            return owner, _errors(exc, who.language), None
        return owner, [], None

    owner, errors, notice = await run_in_threadpool(work)
    if errors or notice:
        data = await run_in_threadpool(_channels_context, request, session, owner,
                                       form.get("platform"))
        return _page(request, who, owner, "channels.html", status=422 if errors else 200,
                     errors=errors, notice=notice, **data)
    return redirect(f"/admin/owners/{owner.id}/channels?saved=1")


def _send_test(session: Session, owner: Owner, channel_id: str, to: str, box: Any) -> str:
    """A test message through the outbox, where the platform lets us write first."""
    row = connections.visible_channel(session, owner, channel_id)
    if row.mode != "send":
        raise Conflict("This channel answers in the webhook's response: it has nothing to "
                       "send on its own. Send it a message instead.")
    if not to.strip():
        raise Invalid("Give the address to send the test to.", field="to")
    channel = connections.channel_rules(row)
    now = clock.now()
    text = ("رسالة تجريبية من إجازة — Ijaza test message")
    outbox.enqueue(session, owner_id=owner.id, channel_id=row.id, platform=row.platform,
                   kind="test", key=f"test:{row.id}:{now.isoformat()}",
                   payload={"to": to.strip(), "text": text,
                            "context": channel.context_for(to.strip(), subject="Ijaza test",
                                                           unsolicited=True)},
                   now=now)
    return "test_queued"


# --- activity -------------------------------------------------------------------------------

def _activity_data(session: Session, owner: Owner) -> dict[str, Any]:
    now = clock.now()
    recent = events.page(session, owner.id, limit=30, after=None, client_key=None, since=None)
    sent = deliveries.page(session, owner.id, status=None, limit=30, after=None)
    last_off = windows_repository.last_off_started(session, owner.id, now)
    digest = None
    if last_off is not None:
        entries = notices.digest(session, owner, last_off)
        digest = {"window": windows.read(last_off, owner), "entries": entries,
                  "text": notices.format_digest(owner, last_off, entries)}
    return {"events": recent[:30], "deliveries": sent[:30], "digest": digest}


@router.get("/owners/{owner_id}/activity")
async def activity_page(owner_id: str, request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)

    def work() -> tuple[Owner, dict[str, Any]]:
        owner = _owner(session, who, owner_id)
        return owner, _activity_data(session, owner)

    owner, data = await run_in_threadpool(work)
    return _page(request, who, owner, "activity.html", errors=[], **data)


@router.post("/owners/{owner_id}/activity")
async def retry_delivery(owner_id: str, request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)
    form = await web.checked_form(request, who)

    def work() -> tuple[Owner, list[FormError]]:
        owner = _owner(session, who, owner_id)
        try:
            outbox.retry(session, owner.id, _row_id(form.get("retry"), "retry"), clock.now())
        except (IjazaError, ValueError) as exc:
            return owner, _errors(exc, who.language)
        return owner, []

    owner, errors = await run_in_threadpool(work)
    if errors:
        data = await run_in_threadpool(_activity_data, session, owner)
        return _page(request, who, owner, "activity.html", status=422, errors=errors, **data)
    return redirect(f"/admin/owners/{owner.id}/activity?retried=1")


# --- the calendar (admin keys) --------------------------------------------------------------

def _admin(who: Console) -> None:
    if not who.principal.admin:
        raise NotFound("No such resource.")  # an owner key learns nothing about this page


def _calendar_data(session: Session, country: str) -> dict[str, Any]:
    today = clock.now().date()
    code = calendar.country_code(country)
    years = [calendar.country_year(session, code, y, today=today).occasions
             for y in (today.year, today.year + 1)]
    coming = [o for year_ in years for o in year_ if o.date >= today - timedelta(days=7)]
    return {"country": code, "coming": coming[:14],
            "confirmations": confirmations.page(session, code, limit=50, after=None,
                                                include_withdrawn=False)[:50],
            "countries": countries.supported_countries(),
            "confirmable": calendar.CONFIRMABLE}


@router.get("/calendar")
async def calendar_page(request: Request, session: SessionDep, country: str = "SA") -> Response:
    who = await _who(request, session)
    _admin(who)
    data = await run_in_threadpool(_calendar_data, session, country)
    return _page(request, who, None, "calendar.html", errors=[], preview=None, form={}, **data)


@router.post("/calendar")
async def calendar_action(request: Request, session: SessionDep) -> Response:
    who = await _who(request, session)
    _admin(who)
    form = await web.checked_form(request, who)
    country = form.get("country", "SA")

    def work() -> tuple[dict[str, Any] | None, list[FormError]]:
        try:
            if form.get("withdraw"):
                calendar.withdraw(session, country, _row_id(form["withdraw"], "withdraw"))
                return None, []
            day_value = date.fromisoformat(form.get("date", ""))
            args: dict[str, Any] = {"hijri_year": None, "force": form.get("force") == "on",
                    "note": form.get("note") or None, "by": f"key:{who.principal.key_id}"}
            if form.get("action") != "confirm":
                would = calendar.preview(session, country, form.get("occasion", ""),
                                         day_value, **args)
                seen = {"owners": would.owners, "windows": would.estimate(would.windows),
                        "corrections": would.estimate(would.corrections),
                        "checked": would.owners_checked, "complete": would.complete,
                        "predicted": would.predicted_date, "hijri_year": would.hijri_year}
                return seen, []
            calendar.confirm(session, country, form.get("occasion", ""), day_value, **args)
        except (IjazaError, ValueError) as exc:
            return None, _errors(exc, who.language)
        return None, []

    seen, errors = await run_in_threadpool(work)
    if errors or seen is not None:
        data = await run_in_threadpool(_calendar_data, session, country)
        return _page(request, who, None, "calendar.html", status=422 if errors else 200,
                     errors=errors, preview=seen, form=form, **data)
    return redirect(f"/admin/calendar?country={calendar.country_code(country)}&saved=1")
