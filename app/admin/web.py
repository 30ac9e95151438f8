"""What every console page shares: the signed-in caller (from the session cookie), the
language (remembered in a cookie), the CSRF and Origin checks on every form, and the Jinja
environment with babel's dates and bidi-isolated values."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_day_names
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app import clock
from app.admin import sessions
from app.admin.words import OCCASIONS, REFUSALS, WORDS
from app.domain import countries, hijri
from app.domain.model import WEEKDAYS
from app.domain.refusal import Refusal, found_in
from app.domain.rendering import spoken_iso_duration, zone_name
from app.domain.text import FSI, PDI, isolate
from app.domain.when import SPOKEN_CHANCE
from app.keys.service import Principal

SESSION_COOKIE = "ijaza_console"
LANGUAGE_COOKIE = "ijaza_lang"
SIGN_IN_COOKIE = "ijaza_sign_in"  # the sign-in form's CSRF token (no session yet)
LANGUAGES = ("ar", "en")

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


class SignInRequired(Exception):
    """No live session: the browser goes to the sign-in form."""


class FormRefused(Exception):
    """A form without its CSRF token, or sent from another origin: 403, nothing changed."""


@dataclass(slots=True)
class Console:
    """The caller of one console request."""

    principal: Principal
    token: str
    form_token: str
    language: str
    chosen: str | None  # a language picked in this request (?lang=), to remember
    extra: dict[str, Any] = field(default_factory=dict)


def language_of(request: Request, fallback: str = "ar") -> tuple[str, str | None]:
    """(language, the one picked now): ``?lang=`` beats the remembered cookie."""
    picked = request.query_params.get("lang")
    if picked in LANGUAGES:
        return picked, picked
    remembered = request.cookies.get(LANGUAGE_COOKIE)
    return (remembered if remembered in LANGUAGES else fallback), None


def is_https(request: Request) -> bool:
    return request.app.state.settings.public_base_url.startswith("https://")


def secret(request: Request) -> str:
    return str(request.app.state.settings.secret_key)


async def console(request: Request, session: Session) -> Console:
    """The signed-in caller, or ``SignInRequired``."""
    token = request.cookies.get(SESSION_COOKIE)
    principal = await run_in_threadpool(sessions.signed_in, session, token, clock.now())
    if principal is None or token is None:
        raise SignInRequired()
    language, chosen = language_of(request)
    return Console(principal=principal, token=token,
                   form_token=sessions.form_token(secret(request), token),
                   language=language, chosen=chosen)


def same_origin(request: Request) -> bool:
    """The form was sent from a page of ours: the Origin (or, without one, the Referer)
    is this server as the browser reached it, or the public base URL."""
    sent = request.headers.get("origin") or request.headers.get("referer")
    if not sent or sent == "null":
        return False
    parts = urlsplit(sent)
    theirs = f"{parts.scheme}://{parts.netloc}".lower()
    ours = {f"{request.url.scheme}://{request.headers.get('host', '')}".lower()}
    public = urlsplit(request.app.state.settings.public_base_url)
    ours.add(f"{public.scheme}://{public.netloc}".lower())
    return theirs in ours


async def checked_form(request: Request, who: Console) -> dict[str, str]:
    """The posted form, after the CSRF token and the origin are checked."""
    form = await request.form()
    values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    if not same_origin(request) or not sessions.form_token_ok(
            secret(request), who.token, values.get("csrf")):
        raise FormRefused()
    return values


# --- how values read on a page --------------------------------------------------------------

def ltr(value: object) -> Markup:
    """A number, an address or a Latin run inside Arabic text, isolated left-to-right."""
    if value is None or value == "":
        return Markup("")
    return Markup('<bdi dir="ltr">{}</bdi>').format(escape(str(value)))


def bdi(value: object) -> Markup:
    """A value of unknown direction (a name), isolated so it cannot reorder its neighbours."""
    if value is None or value == "":
        return Markup("")
    return Markup("<bdi>{}</bdi>").format(escape(str(value)))


def _babel_locale(language: str) -> str:
    # babel's "ar" writes Latin digits, as the times the owner types are written.
    return "ar" if language == "ar" else "en_GB"


def when(value: datetime | None, language: str, tz: ZoneInfo) -> Markup:
    """An instant in the owner's timezone, as babel writes it in ``language``."""
    if value is None:
        return Markup("")
    local = value.astimezone(tz)
    comma = "،" if language == "ar" else ","  # an Arabic sentence's comma
    text = format_datetime(local, f"EEEE d MMMM y{comma} HH:mm", locale=_babel_locale(language))
    return Markup('<time datetime="{}">{}</time>').format(local.isoformat(), text)


def day(value: date | datetime | None, language: str, tz: ZoneInfo | None = None) -> Markup:
    if value is None:
        return Markup("")
    if isinstance(value, datetime):
        value = value.astimezone(tz).date() if tz else value.date()
    text = format_date(value, "EEEE d MMMM y", locale=_babel_locale(language))
    return Markup('<time datetime="{}">{}</time>').format(value.isoformat(), text)


def hijri_day(value: date | datetime | None, language: str, tz: ZoneInfo | None = None) -> str:
    """The Umm al-Qura date, or nothing outside its range."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(tz).date() if tz else value.date()
    try:
        year, month, dom = hijri.to_hijri(value)
    except hijri.OutOfRange:
        return ""
    suffix = "هـ" if language == "ar" else "AH"
    return f"{dom} {hijri.month_name(month, language)} {year} {suffix}"


def weekday_name(code: str, language: str) -> str:
    """``mon``…``sun`` as babel names the day."""
    index = ("mon", "tue", "wed", "thu", "fri", "sat", "sun").index(code)
    return str(get_day_names("wide", locale=_babel_locale(language))[index])


# The usual response times the console offers (ISO 8601 durations, as the API takes them).
RESPONSE_TIMES = ("PT1H", "PT2H", "PT4H", "PT8H", "P1D", "P2D")
# A language is offered under its own name, whichever language the console is in.
LANGUAGE_NAMES = {"ar": "العربية", "en": "English"}


# The part of a rule or window a refusal names, by the word its form labels it with; any
# other part is the refused field itself, which the page names already.
_PARTS = {"span.start": "start", "span.end": "end", "span.before": "before",
          "span.after": "after"}


def refusal_text(refusal: Refusal, language: str) -> str:
    """Why the domain refused a value, in the console's words: the day or part it names,
    then the reason, with what was typed isolated (it may read the other way)."""
    template = REFUSALS[language].get(refusal.code)
    if template is None:
        return str(refusal)
    shown: dict[str, object] = {}
    for name, value in refusal.params.items():
        if name in ("day", "other_day") and value in WEEKDAYS:
            shown[name] = weekday_name(str(value), language)
        elif name == "occasion":
            shown[name] = OCCASIONS[language].get(str(value), str(value))
        elif isinstance(value, str) or value is None:  # typed, or a time: it may read LTR
            shown[name] = f"{FSI}{value}{PDI}"
        else:
            shown[name] = value
    if isinstance(month := refusal.params.get("month"), int):
        shown["month_name"] = hijri.month_name(month, language)
    try:
        said = template.format(**shown)
    except (KeyError, IndexError, ValueError):  # words that name a part this refusal lacks
        return str(refusal)
    where = refusal.params.get("where")
    part = None
    if where in WEEKDAYS:
        part = weekday_name(str(where), language)
    elif isinstance(where, str) and where in _PARTS:
        part = WORDS[language][_PARTS[where]]
    return f"{part}: {said}" if part else said


def validation_text(error: Mapping[str, Any], language: str) -> str:
    """One of pydantic's errors in the console's words: the domain's refusal behind it, or
    pydantic's own reason by its type; pydantic's English sentence only for the rest."""
    ctx = error.get("ctx") or {}
    cause = ctx.get("error")
    refusal = found_in(cause) if isinstance(cause, BaseException) else None
    if refusal is not None:
        return refusal_text(refusal, language)
    template = REFUSALS[language].get(f"pydantic_{error.get('type')}")
    if template is not None:
        with contextlib.suppress(KeyError, IndexError):
            return template.format(**ctx)
    return str(error.get("msg", "")).removeprefix("Value error, ")  # says nothing to a person


def country_name(code: str, language: str) -> str:
    """"السعودية (SA)": the country's name in ``language`` with its code."""
    try:
        name = countries.country(code).name.get(language) or code
    except countries.UnknownCountry:
        return code
    return name if code == "none" else f"{name} ({code})"


def named(words: dict[str, str], prefix: str, code: object, *, plain: bool = False
          ) -> str | Markup:
    """A code (a platform, situation, state…) by its word ``<prefix>_<code>``; a code
    without one is shown as it is, isolated left to right (``plain``: as text, for an
    ``<option>``, which holds no markup)."""
    found = words.get(f"{prefix}_{code}")
    if found:
        return found
    return str(code) if plain else ltr(code)


def in_box(value: object) -> str:
    """A value the owner typed, for an ``<input>``, which holds no markup: its numbers,
    addresses and Latin runs isolated, so «عمر — +966 50 000 0000» does not show its digit
    groups reversed (they follow an Arabic letter). The form's answer is stored without them
    (``text.without_isolates``)."""
    return isolate(str(value), "ar") if value else ""


def month_title(first: date, language: str) -> str:
    return format_date(first, "LLLL y", locale=_babel_locale(language))


def render(request: Request, who: Console | None, template: str, *, status: int = 200,
           language: str | None = None, **context: Any) -> HTMLResponse:
    language = language or (who.language if who else language_of(request)[0])
    words = WORDS[language]
    html = _env.get_template(template).render(
        request=request, who=who, lang=language, dir="rtl" if language == "ar" else "ltr",
        t=words, other="en" if language == "ar" else "ar", ltr=ltr, bdi=bdi,
        occ=OCCASIONS[language], weekday=lambda d: weekday_name(d, language),
        path=request.url.path, spoken_chance=SPOKEN_CHANCE,
        duration=lambda v: spoken_iso_duration(v, language), response_times=RESPONSE_TIMES,
        country_name=lambda c: country_name(c, language), language_names=LANGUAGE_NAMES,
        zone=lambda z: zone_name(z, language, clock.now()),
        named=lambda prefix, code, plain=False: named(words, prefix, code, plain=plain),
        in_box=in_box, **context)
    response = HTMLResponse(html, status_code=status,
                            headers={"Cache-Control": "no-store",
                                     "Content-Security-Policy": CSP,
                                     "Referrer-Policy": "same-origin",
                                     "X-Frame-Options": "DENY"})
    chosen = who.chosen if who else language_of(request)[1]
    if chosen:
        response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=365 * 86400, samesite="strict",
                            secure=is_https(request), httponly=True, path="/")
    return response


# Nothing from elsewhere: every script, style and image comes from this server.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
