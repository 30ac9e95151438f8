"""Reply text: the default wording per situation × language × tone × channel kind, owners'
own templates rendered in a sandbox, and dates written the way a person reads them.

Default wording lives in ``config/defaults/templates/{ar,en}.toml``: openings, closings and
one body per situation, each in several phrasings, for email (the full text, with a
subject) and for chat (WhatsApp, Telegram, Slack, SMS, generic: a greeting with the name,
one sentence of where the owner is and when they are back, the urgent contact, the
signature). A reply's phrasing is chosen from ``ReplyContext.variant_key`` (the client and
the window), so it is the same for one client in one window and differs across windows.

Chat replies are at most :data:`CHAT_LIMIT` characters, SMS at most :data:`SMS_SEGMENTS`
segments (UCS-2 for Arabic: 70 characters, 67 a part): the default wording is rendered
plainly first, then with brief dates (no Hijri date, no zone) and shorter names, then with
no names, until it fits. An owner's own template is their words: not shortened.

Template variables — every one is always defined; dates arrive already written in the
reply's language, in the owner's timezone, the year only when it is not the year of the
message, the Hijri date without its year; "empty" means ``""``:

- ``contact_name`` — the client's name, or empty
- ``owner_name`` — the business or freelancer, in the reply's language; ``signature`` —
  what the reply is signed with (the owner's signature for the language, else the name)
- ``occasion`` — the occasion code (``eid_al_fitr``, ``ramadan``, …), or empty
- ``occasion_title`` — the occasion's localized title («عيد الفطر», "Eid al-Fitr"), or empty
- ``break_name`` — the break as running text («إجازة عيد الأضحى», "the Eid al-Adha
  break"), never doubling a word of the title; ``hours_name`` — reduced hours the same way
  («ساعات العمل في رمضان», "Ramadan hours")
- ``period_start``, ``period_end`` — the first and the last *day* the window covers
  (a window ending at midnight ends on the day before), or empty
- ``earliest_end``, ``latest_end`` — for a tentative window, the earliest and latest last
  day it may end on, or empty
- ``back_at`` — the instant the owner is next working, e.g.
  "Sunday 14 March (6 Shawwal), 9:00 AM Riyadh time"; ``back_at_plain`` without the Hijri date
- ``back_on`` — ``back_at`` as a person says it after "I'm back": "today at 9:00 AM Riyadh
  time" or "tomorrow at …" (the owner's day, from the message), else "on Sunday 14 March
  (6 Shawwal), 9:00 AM Riyadh time"; in Arabic «اليوم الساعة …», «غدًا الساعة …», «يوم الأحد …»
- ``back_range`` — when the moon sighting can change the day the owner is back and the other
  day has a real chance (``when.SPOKEN_CHANCE``), "likely" and the other possible days
  ("likely, or Tuesday 25 May, depending on the moon sighting"), else empty
- ``reply_by`` — the instant the client can expect an answer by; ``reply_by_short`` the
  same written after ``back_at``: the time alone on the same day, else without Hijri date
- ``old_back_at`` — for a correction, the return instant announced before, or empty
  (``old_back_at_plain`` without the Hijri date)
- ``break_from`` — for a break that starts before the owner is back ("offline now, and away
  for Eid from Saturday"), its first day: the weekday within a week, else the date
- ``urgent_contact`` — the delegate for urgent matters, or empty
- ``greeting`` — «عيدكم مبارك…» during Eid, «رمضان كريم» during Ramadan, else empty;
  ``eid_greeting`` — the same during Eid only
- ``status`` — ``off`` / ``reduced`` / ``outside_hours`` / ``available`` at the message,
  or empty; ``window_kind`` — ``off`` / ``reduced`` of the window spoken of, or empty
- ``channel`` — ``email``, ``chat`` or ``sms``
- ``tentative``, ``urgent``, ``back_now`` (the owner is working at the message),
  ``break_ahead`` — booleans
- ``language`` (``ar``/``en``), ``tone`` (``formal``/``friendly``)

Every reply is made bidi-safe at the end (:func:`app.domain.text.isolate`): phone numbers,
e-mail addresses, URLs and Latin words in Arabic text, Arabic words in English text, sit in
Unicode isolates. Names and titles given by others lose their invisible and bidi-control
characters and unmatched brackets first (:func:`app.domain.text.clean_name`).

Layout: a line that holds only a block tag (``{% if … %}``) becomes an empty line, and runs
of empty lines collapse to one, so conditional paragraphs need no whitespace control.

The sandbox: Jinja2's immutable sandbox with no loader and no globals; a template may use
the variables above, ``if``/``elif``/``else``, ``and``/``or``/``not``, comparisons, ``~``
and ``+``, and the filters ``upper lower capitalize title trim default truncate length first
last replace``. Loops, assignments, macros, calls, attribute access and indexing, ``*``,
``**`` and ``%`` are refused when the template is compiled, so no template can reach Python
internals, loop, or build a huge string; the output is capped at ``MAX_OUTPUT`` characters.
:func:`validate_template` compiles a template and renders it for every language and tone
with full and with bare sample values, so a template that would fail at reply time is
refused when it is saved (:class:`TemplateInvalid`, a ``ValueError``, says what is wrong).

Subjects are short and localized («إجازة عيد الفطر», "Away for the Eid al-Fitr break");
the email channel builds its own ``Auto: Re: …`` subject from the client's message, so
``ReplyContext.original_subject`` is carried for channels and not used here.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_location
from babel.units import format_unit
from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.domain import hijri, hours, text
from app.domain.model import Occasion, Situation
from app.domain.refusal import Refusal
from app.domain.text import config_dir

log = logging.getLogger(__name__)

SITUATIONS = tuple(Situation)
LANGUAGES = ("ar", "en")
TONES = ("formal", "friendly")
CHANNEL_KINDS = ("email", "chat", "sms")
EIDS = (Occasion.EID_AL_FITR, Occasion.EID_AL_ADHA)
GREETED = (*EIDS, Occasion.RAMADAN)
# The replies written during the occasion itself: the greeting follows the client's name.
_GREETED_SITUATIONS = frozenset({Situation.OFF, Situation.REDUCED, Situation.URGENT})
CHAT_LIMIT = 320  # characters of a chat reply
SMS_SEGMENTS = 2
MAX_SOURCE = 4000  # characters of template source
MAX_OUTPUT = 4000  # characters of rendered reply
_MAX_NAME = 120  # a contact or owner name longer than this is clipped
_MAX_CONTACT = 300  # the urgent-contact text
_MAX_DEPTH = 40  # nesting of the template's syntax tree; deeper trees compile very slowly
# Words that already say "break" / "hours" in a title, so the running text does not repeat them.
_BREAK_WORDS = {"ar": ("إجازة", "عطلة", "اجازه"),
                "en": ("break", "holiday", "holidays", "leave", "vacation", "off", "closure")}
_HOURS_WORDS = {"ar": ("ساعات", "دوام"), "en": ("hours", "schedule", "timetable")}
_TITLE_YEAR = re.compile(r"\s*\(?\b1[3-5]\d\d\b\)?\s*(?:هـ|AH)?\s*$")


# A template's values (see the module doc): strings, and booleans.
Variables = dict[str, str | bool]


class TemplateInvalid(Refusal):
    """A template that cannot be used; the message says what is wrong, and ``code`` names
    the commonest reasons for the console (an unknown variable, a syntax error, …)."""

    def __init__(self, reason: str, code: str = "template_invalid", **params: object) -> None:
        super().__init__(code, "{reason}", reason=reason, **params)


@dataclass(frozen=True, slots=True)
class ReplyContext:
    """What a reply may say. Instants are timezone-aware; ``timezone`` is the owner's."""

    language: str
    tone: str
    owner_name: str
    timezone: ZoneInfo
    contact_name: str | None = None
    occasion: str | None = None
    occasion_title: dict[str, str] | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None  # exclusive, as in Window.ends_at
    back_at: datetime | None = None
    reply_by: datetime | None = None
    urgent_contact: str | None = None
    tentative: bool = False
    earliest_end: datetime | None = None  # exclusive ends, as in Window
    latest_end: datetime | None = None
    urgent: bool = False
    original_subject: str | None = None
    old_back_at: datetime | None = None
    # Days the country's month runs behind Umm al-Qura (a moon sighting a day later: +1),
    # so Hijri dates in the reply match what was announced.
    hijri_shift_days: int = 0
    at: datetime | None = None  # the instant the reply is written at (the message's)
    channel: str = "email"  # one of CHANNEL_KINDS
    variant_key: str = ""  # the client and window: which phrasing
    status: str = ""
    window_kind: str = ""
    earliest_back: datetime | None = None  # when the range changes the day of return
    latest_back: datetime | None = None
    break_ahead: bool = False
    signature: str | None = None


@dataclass(frozen=True, slots=True)
class RenderedReply:
    text: str
    subject: str
    language: str
    tone: str


# --- default wording -------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _defaults(language: str) -> dict[str, Any]:  # Any: parsed TOML, tables of strings
    with open(config_dir() / "defaults" / "templates" / f"{language}.toml", "rb") as fh:
        return tomllib.load(fh)


def _check_key(situation: str, language: str, tone: str, channel: str = "email") -> None:
    if situation not in SITUATIONS:
        raise TemplateInvalid(f"unknown situation '{situation}'; one of {', '.join(SITUATIONS)}")
    if language not in LANGUAGES:
        raise TemplateInvalid(f"unknown language '{language}'; one of {', '.join(LANGUAGES)}")
    if tone not in TONES:
        raise TemplateInvalid(f"unknown tone '{tone}'; one of {', '.join(TONES)}")
    if channel not in CHANNEL_KINDS:
        raise TemplateInvalid(f"unknown channel kind '{channel}'; one of "
                              f"{', '.join(CHANNEL_KINDS)}")


def _kind(situation: str, language: str, channel: str) -> str:
    """Which of the situation's bodies a channel kind uses (SMS falls back to chat)."""
    if channel == "sms" and "sms" not in _defaults(language)[situation]:
        return "chat"
    return channel


def phrasings(situation: str, language: str, tone: str, channel: str = "email") -> int:
    """How many phrasings the default wording has for this situation, language, tone and
    channel kind (openings × bodies × closings)."""
    _check_key(situation, language, tone, channel)
    d, kind = _defaults(language), _kind(situation, language, channel)
    closing = "email" if kind == "email" else "chat"
    return (len(d["opening"][tone]) * len(d[situation][kind][tone])
            * len(d["closing"][closing][tone]))


def _pick(variant: int, sizes: tuple[int, ...]) -> tuple[int, ...]:
    picked = []
    for size in sizes:
        variant, index = divmod(variant, size)
        picked.append(index)
    return tuple(picked)


def variant_of(key: str) -> int:
    """A stable number for a client and window (the phrasing chosen for them)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big")


def default_template(situation: str, language: str, tone: str, channel: str = "email",
                     variant: int = 0) -> str:
    """The shipped Jinja2 source for a situation, language, tone and channel kind, in the
    phrasing ``variant`` picks (any whole number; 0 is the first phrasing).

    Raises TemplateInvalid for an unknown situation, language, tone or channel kind.
    """
    _check_key(situation, language, tone, channel)
    return _composed(situation, language, tone, _kind(situation, language, channel),
                     variant % phrasings(situation, language, tone, channel))


@lru_cache(maxsize=1024)
def _composed(situation: str, language: str, tone: str, kind: str, variant: int) -> str:
    d = _defaults(language)
    short = "email" if kind == "email" else "chat"
    openings, bodies = d["opening"][tone], d[situation][kind][tone]
    closings = d["closing"][short][tone]
    o, b, c = _pick(variant, (len(openings), len(bodies), len(closings)))
    urgent = d["urgent_line"][kind][tone] if d[situation].get("urgent_line") else ""
    greets = situation in _GREETED_SITUATIONS
    if kind == "email":
        urgent_part = f"{{% if urgent_contact %}}\n{urgent}\n{{% endif %}}" if urgent else ""
        greeting = "{% if greeting %}\n{{ greeting }}\n{% endif %}" if greets else ""
        return (f"{openings[o]}\n{greeting}\n\n"
                f"{bodies[b].strip()}\n{urgent_part}\n\n{closings[c]}")
    # Chat: the greeting follows the name on the first line; one line for the news.
    urgent_part = f"{{% if urgent_contact %}} {urgent}{{% endif %}}" if urgent else ""
    greeting = "{% if greeting %} {{ greeting }}{% endif %}" if greets else ""
    return (f"{openings[o]}{greeting}\n"
            f"{bodies[b].strip()}{urgent_part}\n{closings[c]}")


def greeting(occasion: str | None, language: str, tone: str, *,
             short: bool = False) -> str | None:
    """The greeting that follows the name during Eid al-Fitr, Eid al-Adha or Ramadan
    (``short``: the chat one, «عيدكم مبارك!»), else None."""
    if occasion not in GREETED or language not in LANGUAGES or tone not in TONES:
        return None
    found: str = _defaults(language)["greeting"][occasion]["short" if short else tone]
    return found


def eid_greeting(occasion: str | None, language: str, tone: str) -> str | None:
    """The greeting during Eid al-Fitr or Eid al-Adha, else None."""
    return greeting(occasion, language, tone) if occasion in EIDS else None


# --- dates a person reads --------------------------------------------------------------------

_TO_LATIN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# A month's name after a day number is in the genitive in running Arabic: «16 ذي الحجة».
_AR_GENITIVE = {"ذو القعدة": "ذي القعدة", "ذو الحجة": "ذي الحجة"}


@lru_cache(maxsize=4096)
def format_date_only(day: date, language: str, hijri_shift_days: int = 0) -> str:
    """A calendar day in both calendars: «الأربعاء 10 مارس 2027 (2 شوال 1448)» /
    "Wednesday 10 March 2027 (2 Shawwal 1448)" (for tables and feeds; replies use
    :func:`spoken_day`).

    Latin digits in Arabic too (what Gulf business writing uses). The Hijri part is the
    Umm al-Qura date, moved back by ``hijri_shift_days`` where the country's month began
    later (after a confirmed sighting), and is left out outside the supported range.
    """
    gregorian = format_date(day, "EEEE d MMMM y", locale=language).translate(_TO_LATIN_DIGITS)
    try:
        year, month, mday = hijri.to_hijri(day - timedelta(days=hijri_shift_days))
    except hijri.OutOfRange:
        return gregorian
    return f"{gregorian} ({mday} {hijri.month_name(month, language)} {year})"


@lru_cache(maxsize=4096)
def spoken_duration(span: timedelta, language: str) -> str:
    """A duration as a person says it, exactly, in its largest whole unit: «ساعتان»,
    «3 أيام», "90 minutes" (not babel's rounded "2 hours")."""
    seconds = int(span.total_seconds())
    for unit, size in (("duration-day", 86400), ("duration-hour", 3600),
                       ("duration-minute", 60)):
        if seconds >= size and seconds % size == 0:
            return format_unit(seconds // size, unit, locale=language).translate(_TO_LATIN_DIGITS)
    return format_unit(seconds, "duration-second", locale=language).translate(_TO_LATIN_DIGITS)


def spoken_iso_duration(value: str | None, language: str) -> str:
    """An ISO 8601 duration ("PT4H") as :func:`spoken_duration` says it; the value itself
    when it is not one, "" for none."""
    if not value:
        return ""
    try:
        span = hours.parse_duration(value)
    except ValueError:
        return value
    return spoken_duration(span, language)


def spoken_day(day: date, language: str, *, this_year: int, with_hijri: bool = True,
               hijri_shift_days: int = 0) -> str:
    """A day as running text: «الأحد 23 مايو (16 ذي الحجة)» / "Sunday 23 May (16 Dhu
    al-Hijjah)" — the Gregorian year only when it is not ``this_year``, the Hijri date
    without its year (and left out with ``with_hijri=False`` or outside the tables)."""
    pattern = "EEEE d MMMM" if day.year == this_year else "EEEE d MMMM y"
    gregorian = format_date(day, pattern, locale=language).translate(_TO_LATIN_DIGITS)
    if not with_hijri:
        return gregorian
    try:
        _year, month, mday = hijri.to_hijri(day - timedelta(days=hijri_shift_days))
    except hijri.OutOfRange:
        return gregorian
    name = hijri.month_name(month, language)
    if language == "ar":
        name = _AR_GENITIVE.get(name, name)
    return f"{gregorian} ({mday} {name})"


def weekday_name(day: date, language: str) -> str:
    """«السبت» / "Saturday"."""
    return format_date(day, "EEEE", locale=language)


@lru_cache(maxsize=4096)
def _clock(hour: int, minute: int, language: str) -> str:
    return format_time(time(hour, minute), "h:mm a", locale=language).translate(_TO_LATIN_DIGITS)


@lru_cache(maxsize=1024)
def zone_name(zone: str, language: str, at: datetime) -> str:
    """How a person names the owner's zone at ``at``: «بتوقيت الرياض», "Riyadh time"."""
    tz = ZoneInfo(zone)
    return _zone_label(tz.key, at.astimezone(tz).utcoffset() or timedelta(0), language)


def _zone_label(zone: str, offset: timedelta, language: str) -> str:
    """ "Riyadh time" / «بتوقيت الرياض»; a zone with no city reads as its UTC offset."""
    if "/" not in zone or zone.startswith("Etc/"):
        minutes = int(offset.total_seconds()) // 60
        sign = "+" if minutes >= 0 else "-"
        hours, rest = divmod(abs(minutes), 60)
        name = "UTC" if minutes == 0 else f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
        return f"بتوقيت {name}" if language == "ar" else name
    city = get_timezone_location(zone, locale=language, return_city=True)
    return f"بتوقيت {city}" if language == "ar" else f"{city} time"


def format_instant(value: datetime, language: str, tz: ZoneInfo,
                   hijri_shift_days: int = 0) -> str:
    """An instant as the owner's local day (both calendars), time and place, e.g.
    "Wednesday 10 March 2027 (2 Shawwal 1448), 9:00 AM Riyadh time" /
    «الأربعاء 10 مارس 2027 (2 شوال 1448)، 9:00 ص بتوقيت الرياض».

    Raises ValueError for a naive datetime.
    """
    local = _local(value, tz)
    offset = local.utcoffset() or timedelta(0)
    joiner = "، " if language == "ar" else ", "
    return (f"{format_date_only(local.date(), language, hijri_shift_days)}{joiner}"
            f"{_clock(local.hour, local.minute, language)} {_zone_label(tz.key, offset, language)}")


def spoken_instant(value: datetime, language: str, tz: ZoneInfo, *, this_year: int,
                   with_hijri: bool = True, with_zone: bool = True,
                   hijri_shift_days: int = 0) -> str:
    """An instant as running text: "Sunday 23 May (16 Dhu al-Hijjah), 9:00 AM Riyadh time"
    (the year and the Hijri date as :func:`spoken_day` writes them). ValueError if naive."""
    local = _local(value, tz)
    day = spoken_day(local.date(), language, this_year=this_year, with_hijri=with_hijri,
                     hijri_shift_days=hijri_shift_days)
    return f"{day}{'، ' if language == 'ar' else ', '}{spoken_time(local, language, tz, with_zone=with_zone)}"


def spoken_time(value: datetime, language: str, tz: ZoneInfo, *, with_zone: bool = True) -> str:
    """"9:00 AM Riyadh time" / «9:00 ص بتوقيت الرياض» (the owner's local clock)."""
    local = _local(value, tz)
    clock = _clock(local.hour, local.minute, language)
    if not with_zone:
        return clock
    return f"{clock} {_zone_label(tz.key, local.utcoffset() or timedelta(0), language)}"


def _local(value: datetime, tz: ZoneInfo) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("dates in replies need a timezone-aware datetime")
    return value.astimezone(tz)


# --- the sandbox -----------------------------------------------------------------------------

# Only these node types may appear in a reply template (a whitelist: anything new in Jinja
# is refused until someone looks at it).
_ALLOWED_NODES: frozenset[type[nodes.Node]] = frozenset({
    nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name, nodes.If,
    nodes.CondExpr, nodes.And, nodes.Or, nodes.Not, nodes.Compare, nodes.Operand,
    nodes.Filter, nodes.Test, nodes.Concat, nodes.Add, nodes.Sub, nodes.Neg, nodes.Pos,
    nodes.Tuple, nodes.List, nodes.Keyword, nodes.FilterBlock,
})
_NODE_NAMES: dict[type[nodes.Node], str] = {
    nodes.For: "loops ('for')", nodes.Macro: "macros", nodes.CallBlock: "'call' blocks",
    nodes.Call: "function calls", nodes.Getattr: "attribute access ('.')",
    nodes.Getitem: "indexing ('[…]')", nodes.Slice: "slicing", nodes.Mul: "'*'",
    nodes.Pow: "'**'", nodes.Mod: "'%'", nodes.Div: "'/'", nodes.FloorDiv: "'//'",
    nodes.Assign: "'set'", nodes.AssignBlock: "'set'", nodes.With: "'with'",
    nodes.Include: "'include'", nodes.Import: "'import'", nodes.FromImport: "'import'",
    nodes.Extends: "'extends'", nodes.Block: "'block'", nodes.Dict: "dict literals",
}

VARIABLES = frozenset({
    "contact_name", "owner_name", "signature", "occasion", "occasion_title", "break_name",
    "hours_name", "period_start", "period_end", "back_at", "back_at_plain", "back_on",
    "back_range",
    "reply_by", "reply_by_short", "earliest_end", "latest_end", "old_back_at",
    "old_back_at_plain", "break_from", "urgent_contact", "greeting", "eid_greeting", "status",
    "window_kind", "channel", "tentative", "urgent", "back_now", "break_ahead", "language",
    "tone",
})


def _safe_replace(value: object, old: object, new: object, count: int | None = None) -> str:
    """``replace`` that refuses to build a string longer than a reply may be."""
    text, before, after = str(value), str(old), str(new)
    hits = text.count(before) if before else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(after) - len(before)) > MAX_OUTPUT:
        raise SecurityError("replace would make the reply too long")
    return text.replace(before, after, -1 if count is None else count)


# Any: Jinja's filters take and return whatever the template hands them.
_FILTERS: dict[str, Callable[..., Any]] = {
    name: FILTERS[name] for name in ("upper", "lower", "capitalize", "title", "trim",
                                     "default", "d", "truncate", "length", "first", "last")
}
_FILTERS["replace"] = _safe_replace
_TESTS = ("defined", "undefined", "none", "string", "true", "false", "eq", "ne", "in")


class _Sandbox(ImmutableSandboxedEnvironment):
    """Defence in depth behind the node whitelist: no calls, no big arithmetic."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    # Any: the signatures of the methods overridden (Jinja's own).
    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator != "+":
            raise SecurityError(f"'{operator}' is not allowed in reply templates")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, str) and len(result) > MAX_OUTPUT:
            raise SecurityError("the reply would be too long")
        return result

    def is_safe_callable(self, obj: Any) -> bool:
        return False


@lru_cache(maxsize=1)
def _env() -> _Sandbox:
    # trim_blocks stays off so "…{% endif %}" at the end of a line keeps its line break.
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, lstrip_blocks=True,
                   keep_trailing_newline=False)
    env.globals.clear()
    env.filters = dict(_FILTERS)
    env.tests = {name: env.tests[name] for name in _TESTS}
    return env


def _check_tree(tree: nodes.Template) -> None:
    stack: list[tuple[nodes.Node, int]] = [(tree, 0)]
    while stack:  # iterative: a hostile template must not exhaust the Python stack
        node, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise TemplateInvalid(f"the template is nested too deeply (line {node.lineno})")
        _check_node(node)
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())


def _check_node(node: nodes.Node) -> None:
    kind = type(node)
    if kind not in _ALLOWED_NODES:
        what = _NODE_NAMES.get(kind, f"'{kind.__name__}'")
        raise TemplateInvalid(f"{what} not allowed in reply templates (line {node.lineno})")
    if isinstance(node, nodes.Name) and node.name not in VARIABLES:
        raise TemplateInvalid(f"unknown variable '{node.name}' on line {node.lineno}; "
                              f"known: {', '.join(sorted(VARIABLES))}", "unknown_variable",
                              name=node.name, line=node.lineno)


@lru_cache(maxsize=2048)
def _compiled(source: str) -> Template:
    if len(source) > MAX_SOURCE:
        raise TemplateInvalid(f"a template may be at most {MAX_SOURCE} characters",
                              "template_too_long", most=MAX_SOURCE)
    env = _env()
    try:
        tree = env.parse(source)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" on line {line}" if line else ""
        detail = getattr(exc, "message", None) or str(exc)
        raise TemplateInvalid(f"syntax error{where}: {detail}", "template_syntax",
                              line=line or 1, detail=detail) from exc
    except (RecursionError, MemoryError) as exc:
        raise TemplateInvalid("the template is nested too deeply") from exc
    _check_tree(tree)
    try:
        return env.from_string(tree)
    except TemplateError as exc:  # e.g. an unknown filter
        raise TemplateInvalid(f"{getattr(exc, 'message', exc)}") from exc
    except (RecursionError, MemoryError, SyntaxError) as exc:
        raise TemplateInvalid("the template is nested too deeply") from exc


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    return _BLANK_RUNS.sub("\n\n", text)


def _run(source: str, variables: Variables) -> str:
    template = _compiled(source)
    try:
        text = template.render(variables)
    except TemplateInvalid:
        raise
    except SecurityError as exc:
        raise TemplateInvalid(f"not allowed: {exc}") from exc
    except Exception as exc:  # an owner's template is untrusted code: report, never crash
        raise TemplateInvalid(f"the template failed to render: {exc}") from exc
    text = _tidy(text)
    if len(text) > MAX_OUTPUT:
        raise TemplateInvalid(f"the reply would be longer than {MAX_OUTPUT} characters")
    return text



# --- the values a template sees --------------------------------------------------------------


def title_of(titles: dict[str, str] | None, language: str) -> str:
    """A window's title in ``language`` for running text: cleaned, without a Hijri year
    («عيد الأضحى 1447» → «عيد الأضحى»), or empty."""
    if not titles:
        return ""
    raw = titles.get(language) or next(iter(titles.values()), "")
    title = text.clean_name(raw, _MAX_NAME)
    bare = _TITLE_YEAR.sub("", title).strip()
    return bare or title


def break_name(title: str, language: str) -> str:
    """The break as running text, the title's own word for it not repeated:
    «إجازة عيد الأضحى», «إجازة العيد» (from «إجازة العيد»), "the Eid al-Adha break"."""
    if language == "ar":
        if not title:
            return "إجازة"
        return title if text.contains_word(title, _BREAK_WORDS["ar"]) else text.join_words(
            "إجازة", title)
    if not title:
        return "a break"
    if text.contains_word(title, _BREAK_WORDS["en"]):
        return title
    return text.join_words("the", title, "break")


def hours_name(title: str, language: str) -> str:
    """Reduced hours as running text: «ساعات العمل في رمضان», "Ramadan hours"."""
    if language == "ar":
        if not title:
            return "ساعات العمل المخفّضة"
        return title if text.contains_word(title, _HOURS_WORDS["ar"]) else text.join_words(
            "ساعات العمل في", title)
    if not title:
        return "reduced hours"
    return title if text.contains_word(title, _HOURS_WORDS["en"]) else text.join_words(
        title, "hours")


@dataclass(frozen=True, slots=True)
class _Style:
    """How much a reply may say: chat replies are tried plainly, then briefer."""

    hijri: bool = True
    zone: bool = True
    name_limit: int = _MAX_NAME
    names: bool = True
    greeting: bool = True
    title: bool = True


_PLAIN = _Style()
_TIERS = (_PLAIN, _Style(hijri=False, zone=False, name_limit=32),
          _Style(hijri=False, zone=False, name_limit=24, names=False),
          _Style(hijri=False, zone=False, name_limit=16, names=False, greeting=False),
          _Style(hijri=False, zone=False, name_limit=16, names=False, greeting=False,
                 title=False))


# "I'm back …": today, tomorrow (the owner's days, counted from the message), or on a day.
_BACK_ON = {"ar": ("اليوم الساعة {time}", "غدًا الساعة {time}", "يوم {day}"),
            "en": ("today at {time}", "tomorrow at {time}", "on {day}")}


def _urgent_brief(value: str) -> str:
    """The phone number or address in an urgent-contact text, for a short reply."""
    found = re.search(r"\+?\d(?:[ \-]?\d){6,}|[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+", value)
    return found[0] if found else value


def _variables(ctx: ReplyContext, style: _Style = _PLAIN) -> Variables:
    language, tz, shift = ctx.language, ctx.timezone, ctx.hijri_shift_days
    reference = ctx.at or ctx.back_at or ctx.reply_by or ctx.period_start
    this_year = reference.astimezone(tz).year if reference is not None else 0

    def instant(value: datetime | None, *, hijri: bool = True) -> str:
        if value is None:
            return ""
        return spoken_instant(value, language, tz, this_year=this_year,
                              with_hijri=hijri and style.hijri, with_zone=style.zone,
                              hijri_shift_days=shift)

    def day_of(value: datetime | None, *, end: bool = False, hijri: bool = True) -> str:
        if value is None:
            return ""
        local = value.astimezone(tz)
        if end:  # an exclusive end: the last day covered is the day of the instant before
            local -= timedelta(microseconds=1)
        return spoken_day(local.date(), language, this_year=this_year,
                          with_hijri=hijri and style.hijri, hijri_shift_days=shift)

    title = title_of(ctx.occasion_title, language) if style.title else ""
    if style.name_limit < _MAX_NAME:
        title = text.clean_name(title, style.name_limit)
    reply_by_short = ""
    if ctx.reply_by is not None:
        same_day = (ctx.back_at is not None and ctx.reply_by.astimezone(tz).date()
                    == ctx.back_at.astimezone(tz).date())
        ranged = {d.astimezone(tz).date() for d in (ctx.earliest_back, ctx.latest_back)
                  if d is not None and ctx.back_at is not None}
        reply_day = ctx.reply_by.astimezone(tz).date()
        if same_day:
            reply_by_short = spoken_time(ctx.reply_by, language, tz, with_zone=style.zone)
        elif reply_day in ranged:  # that day is written in the range already: its weekday
            reply_by_short = (f"{weekday_name(reply_day, language)}"
                              f"{'، ' if language == 'ar' else ', '}"
                              f"{spoken_time(ctx.reply_by, language, tz, with_zone=style.zone)}")
        else:
            reply_by_short = instant(ctx.reply_by, hijri=False)
    urgent_contact = text.clean_name(ctx.urgent_contact, _MAX_CONTACT)
    if style.name_limit < _MAX_NAME and urgent_contact:
        urgent_contact = text.clean_name(_urgent_brief(urgent_contact), 48)
    owner = text.clean_name(ctx.owner_name, _MAX_NAME)
    signature = text.clean_name(ctx.signature, _MAX_NAME) or owner
    name = text.clean_name(ctx.contact_name, style.name_limit) if style.names else ""
    if style.name_limit < _MAX_NAME:
        signature = text.clean_name(signature, style.name_limit) if style.names else ""
    at = ctx.at.astimezone(tz) if ctx.at is not None else None
    back_on = ""
    if ctx.back_at is not None:
        today, tomorrow, on_day = _BACK_ON.get(language, _BACK_ON["en"])
        ahead = ((ctx.back_at.astimezone(tz).date() - at.date()).days
                 if at is not None and ctx.back_at > at else -1)
        if ahead in (0, 1):
            clock = spoken_time(ctx.back_at, language, tz, with_zone=style.zone)
            back_on = (today if ahead == 0 else tomorrow).format(time=clock)
        else:
            back_on = on_day.format(day=instant(ctx.back_at))
    break_from = ""
    if ctx.break_ahead and ctx.period_start is not None:
        first = ctx.period_start.astimezone(tz).date()
        break_from = (weekday_name(first, language)
                      if at is not None and 0 <= (first - at.date()).days < 7
                      else day_of(ctx.period_start, hijri=False))
    shown_greeting = (greeting(ctx.occasion, language, ctx.tone, short=ctx.channel != "email")
                      if ctx.status in ("off", "reduced") and style.greeting else None) or ""
    return {
        "contact_name": name,
        "owner_name": owner,
        "signature": signature,
        "occasion": ctx.occasion or "",
        "occasion_title": title,
        "break_name": break_name(title, language),
        "hours_name": hours_name(title, language),
        "period_start": day_of(ctx.period_start),
        "period_end": day_of(ctx.period_end, end=True),
        "back_at": instant(ctx.back_at),
        "back_at_plain": instant(ctx.back_at, hijri=False),
        "back_on": back_on,
        "back_range": _back_range(ctx, language, this_year),
        "reply_by": instant(ctx.reply_by),
        "reply_by_short": reply_by_short,
        "earliest_end": day_of(ctx.earliest_end, end=True),
        "latest_end": day_of(ctx.latest_end, end=True),
        "old_back_at": instant(ctx.old_back_at),
        "old_back_at_plain": instant(ctx.old_back_at, hijri=False),
        "break_from": break_from,
        "urgent_contact": urgent_contact,
        "greeting": shown_greeting,
        "eid_greeting": eid_greeting(ctx.occasion, language, ctx.tone) or "",
        "status": ctx.status,
        "window_kind": ctx.window_kind,
        "channel": ctx.channel,
        "tentative": bool(ctx.tentative),
        "urgent": bool(ctx.urgent),
        "back_now": bool(ctx.back_at is not None and at is not None and ctx.back_at <= at),
        "break_ahead": bool(ctx.break_ahead),
        "language": language,
        "tone": ctx.tone,
    }


def _back_range(ctx: ReplyContext, language: str, this_year: int) -> str:
    """The other days the owner may be back on, or empty (see ``app.domain.when``)."""
    if ctx.back_at is None or ctx.earliest_back is None or ctx.latest_back is None:
        return ""
    tz = ctx.timezone
    back = ctx.back_at.astimezone(tz).date()
    low, high = ctx.earliest_back.astimezone(tz).date(), ctx.latest_back.astimezone(tz).date()

    def say(day: date) -> str:
        return spoken_day(day, language, this_year=this_year, with_hijri=False)

    # "Tuesday (likely) or Wednesday": the range is spoken only when the other day has a
    # real chance (``when.SPOKEN_CHANCE``), and back_at is the likeliest day.
    if language == "ar":
        if low < back and high > back:
            return f"على الأرجح، أو أي يوم من {say(low)} إلى {say(high)} حسب رؤية الهلال"
        if high > back:
            return f"على الأرجح، أو {say(high)} حسب رؤية الهلال"
        if low < back:
            return f"على الأرجح، أو قبله {say(low)} حسب رؤية الهلال"
        return ""
    if low < back and high > back:
        return f"likely; or any day from {say(low)} to {say(high)}, depending on the moon sighting"
    if high > back:
        return f"likely, or {say(high)}, depending on the moon sighting"
    if low < back:
        return f"likely, or as early as {say(low)}, depending on the moon sighting"
    return ""


@lru_cache(maxsize=1)
def _samples() -> tuple[Variables, ...]:
    """Full and bare sample values for every language, tone and channel (for validation)."""
    tz = ZoneInfo("Asia/Riyadh")
    full = ReplyContext(
        language="ar", tone="formal", owner_name="Nakhla Studio", timezone=tz,
        contact_name="Amina", occasion=Occasion.EID_AL_FITR,
        occasion_title={"ar": "عيد الفطر", "en": "Eid al-Fitr"},
        period_start=datetime(2027, 3, 9, tzinfo=tz), period_end=datetime(2027, 3, 13, tzinfo=tz),
        back_at=datetime(2027, 3, 14, 9, tzinfo=tz), reply_by=datetime(2027, 3, 14, 13, tzinfo=tz),
        urgent_contact="Omar, +966 50 000 0000", tentative=True,
        earliest_end=datetime(2027, 3, 12, tzinfo=tz), latest_end=datetime(2027, 3, 13, tzinfo=tz),
        urgent=True, old_back_at=datetime(2027, 3, 13, 9, tzinfo=tz),
        at=datetime(2027, 3, 10, 11, tzinfo=tz), status="off", window_kind="off",
        earliest_back=datetime(2027, 3, 13, 9, tzinfo=tz),
        latest_back=datetime(2027, 3, 15, 9, tzinfo=tz), break_ahead=True,
        signature="Nakhla")
    bare = ReplyContext(
        language="ar", tone="formal", owner_name="N", timezone=tz,
        back_at=datetime(2027, 3, 14, 9, tzinfo=tz), reply_by=datetime(2027, 3, 14, 13, tzinfo=tz))
    out = []
    for language in LANGUAGES:
        for tone in TONES:
            for channel in ("email", "chat"):
                for base in (full, bare):
                    out.append(_variables(replace(base, language=language, tone=tone,
                                                  channel=channel)))
    return tuple(out)


# --- public API -------------------------------------------------------------------------------


def validate_template(source: str) -> None:
    """Refuse a template that would not render for every language, tone and sample context.

    Raises TemplateInvalid naming the problem: a syntax error (with its line), an unknown
    variable or filter, a construct the sandbox does not allow, or an over-long result.
    """
    if not isinstance(source, str) or not source.strip():
        raise TemplateInvalid("a template cannot be empty", "template_empty")
    _compiled(source)
    for variables in _samples():
        _run(source, variables)


def render(source: str, ctx: ReplyContext) -> str:
    """Render Jinja2 ``source`` with the context's variables; TemplateInvalid on failure."""
    return _finish(_run(source, _variables(ctx)), ctx.language)


def fits(value: str, channel: str) -> bool:
    """Whether a reply is short enough for the channel kind: chat at most
    :data:`CHAT_LIMIT` characters, SMS at most :data:`SMS_SEGMENTS` segments."""
    if channel == "sms":
        return text.sms_segments(value) <= SMS_SEGMENTS
    if channel == "chat":
        return len(value) <= CHAT_LIMIT
    return True


def _finish(value: str, language: str) -> str:
    return text.isolate(value, language)


class ReplyDraft:
    """One situation's reply for every client who writes about the same thing (a batch of
    messages during a break): the dates are written once per phrasing, and each client's
    reply is that phrasing with their name, as :func:`render_reply` would write it."""

    def __init__(self, situation: str, ctx: ReplyContext, *, source: str | None = None) -> None:
        _check_key(situation, ctx.language, ctx.tone, ctx.channel)
        self.situation, self.ctx, self.source = situation, ctx, source
        self._variables: dict[_Style, Variables] = {}
        self._texts: dict[tuple[str, str, _Style], str] = {}
        self._slots: dict[tuple[str, _Style], tuple[str, str]] = {}

    def variables(self, style: _Style) -> Variables:
        found = self._variables.get(style)
        if found is None:
            found = self._variables[style] = _variables(replace(self.ctx, contact_name=None),
                                                        style)
        return found

    def for_contact(self, contact_name: str | None,
                    variant_key: str | None = None) -> RenderedReply:
        key = self.ctx.variant_key if variant_key is None else variant_key
        # The draft's context with only the name and the phrasing changed, passed apart: a
        # broadcast writes thousands of replies from one draft.
        return _reply(self.situation, self.ctx, contact_name, key, source=self.source,
                      variables=None, draft=self)

    def text(self, template: str, style: _Style, name: str) -> str:
        """``template`` for a client called ``name`` (cleaned): where the template uses the
        name only as ``{{ contact_name }}`` or an ``if`` test (as the shipped wording does),
        it runs twice per draft — with a stand-in and without a name — and each client's
        text is the stand-in replaced by their name; that is exactly what a run with the
        name gives. Otherwise it runs for each client."""
        if not style.names:
            name = ""
        if _name_is_a_slot(template) and _NAME_SLOT not in name:
            slots = self._slots.get((template, style))
            if slots is None:
                variables = self.variables(style)
                slots = self._slots[(template, style)] = (
                    _run(template, {**variables, "contact_name": _NAME_SLOT}),
                    _run(template, {**variables, "contact_name": ""}))
            raw = slots[0].replace(_NAME_SLOT, name) if name else slots[1]
            if len(raw) > MAX_OUTPUT:
                raise TemplateInvalid(f"the reply would be longer than {MAX_OUTPUT} characters")
            return _finish(raw, self.ctx.language)
        memo = (template, name, style)
        found = self._texts.get(memo)
        if found is None:
            if len(self._texts) > 256:
                self._texts.clear()
            variables = {**self.variables(style), "contact_name": name}
            found = self._texts[memo] = _finish(_run(template, variables), self.ctx.language)
        return found


# Stands for the client's name in a draft (private-use characters: in no wording).
_NAME_SLOT = "\ue000contact_name\ue001"


@lru_cache(maxsize=2048)
def _name_is_a_slot(source: str) -> bool:
    """Whether ``contact_name`` appears in ``source`` only as ``{{ contact_name }}`` or as
    the bare test of an ``if``/``elif`` (and the stand-in nowhere)."""
    if _NAME_SLOT in source:
        return False
    try:
        tree = _env().parse(source)
    except (TemplateError, RecursionError, MemoryError):  # rendered in full, which says why
        return False
    stack: list[nodes.Node] = [tree]
    while stack:
        node = stack.pop()
        for child in node.iter_child_nodes():
            if isinstance(child, nodes.Name) and child.name == "contact_name":
                as_output = isinstance(node, nodes.Output) and any(c is child for c in node.nodes)
                as_test = isinstance(node, nodes.If) and node.test is child
                if not (as_output or as_test):
                    return False
            stack.append(child)
    return True


def render_reply(situation: str, ctx: ReplyContext, *, source: str | None = None,
                 variables: Variables | None = None,
                 draft: ReplyDraft | None = None) -> RenderedReply:
    """The reply for a situation: the owner's ``source`` or, when None, the default wording
    in the phrasing ``ctx.variant_key`` picks, shortened for chat and SMS until it fits.
    ``variables`` are the template's values when the caller has them already.

    An owner's template that fails at reply time (it passed validation, so this means an
    unusual context) falls back to the default wording rather than leaving the client
    without an answer. Raises TemplateInvalid only for an unknown situation, language, tone
    or channel kind.
    """
    _check_key(situation, ctx.language, ctx.tone, ctx.channel)
    if draft is None:
        draft = ReplyDraft(situation, replace(ctx, contact_name=None), source=source)
    return _reply(situation, ctx, ctx.contact_name, ctx.variant_key, source=source,
                  variables=variables, draft=draft)


def _reply(situation: str, ctx: ReplyContext, contact_name: str | None, variant_key: str, *,
           source: str | None, variables: Variables | None,
           draft: ReplyDraft) -> RenderedReply:
    """``render_reply`` for ``contact_name`` in the phrasing ``variant_key`` picks (in
    place of ``ctx``'s)."""
    def name_of(style: _Style) -> str:  # only for the tiers tried: most replies fit the first
        return text.clean_name(contact_name, style.name_limit) if style.names else ""

    subject_vars = variables or draft.variables(_PLAIN)
    body = None
    if source is not None:
        try:
            body = (_finish(_run(source, variables), ctx.language) if variables is not None
                    else draft.text(source, _PLAIN, name_of(_PLAIN)))
        except TemplateInvalid as exc:
            log.warning("custom %s/%s/%s template failed, using the default: %s",
                        situation, ctx.language, ctx.tone, exc)
    if body is None:
        template = default_template(situation, ctx.language, ctx.tone, ctx.channel,
                                    variant_of(variant_key))
        tiers = _TIERS[1:] if ctx.channel == "sms" else _TIERS
        for style in tiers if ctx.channel != "email" else (_PLAIN,):
            body = draft.text(template, style, name_of(style))
            if fits(body, ctx.channel):
                break
    assert body is not None
    return RenderedReply(text=body, subject=_subject(situation, ctx, subject_vars),
                         language=ctx.language, tone=ctx.tone)


def _subject(situation: str, ctx: ReplyContext, variables: Variables) -> str:
    subjects: dict[str, str] = _defaults(ctx.language)["subject"][situation]
    title = str(variables["occasion_title"])
    if ctx.window_kind == "reduced" and "reduced" in subjects:
        chosen = subjects["reduced"]
    elif title and "titled" in subjects:
        chosen = subjects["titled"]
    else:
        chosen = subjects["plain"]
    filled = (chosen.replace("{break}", str(variables["break_name"]))
              .replace("{hours}", str(variables["hours_name"])).replace("{title}", title))
    return text.isolate(filled[:1].upper() + filled[1:] if ctx.language == "en" else filled,
                        ctx.language)
