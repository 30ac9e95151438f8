"""Reply text: default wording per situation × language × tone (``config/defaults/templates``),
owners' own templates rendered in a sandbox, and dates written the way a person reads them.

Template variables (all strings unless noted; dates are already formatted in the reply's
language, in both calendars, in the owner's timezone):

- ``contact_name`` (or empty), ``owner_name``, ``occasion`` (code), ``occasion_title``
- ``period_start``, ``period_end``: the window; ``back_at``: when the owner is back;
  ``reply_by``: when to expect an answer; ``earliest_end``, ``latest_end``: the range of a
  tentative window's end; ``old_back_at``: the date given before a correction
- ``urgent_contact`` (or empty), ``eid_greeting`` (or empty), ``tentative`` and ``urgent``
  (booleans), ``language``, ``tone``

Templates run in Jinja2's immutable sandbox with no loader, no globals but a few safe
filters, strict undefined variables, and an output cap; ``validate_template`` compiles and
test-renders a template with sample values in both languages and tones, so a template that
would fail at reply time is refused when it is saved.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_location
from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from app.domain import hijri

SITUATIONS = ("off", "reduced", "outside_hours", "advance_notice", "urgent", "correction", "back")
LANGUAGES = ("ar", "en")
TONES = ("formal", "friendly")
MAX_OUTPUT = 4000
MAX_SOURCE = 4000
EIDS = ("eid_al_fitr", "eid_al_adha")


class TemplateInvalid(ValueError):
    """A template that cannot be used: the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class ReplyContext:
    language: str
    tone: str
    owner_name: str
    timezone: ZoneInfo
    contact_name: str | None = None
    occasion: str | None = None
    occasion_title: dict[str, str] | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    back_at: datetime | None = None
    reply_by: datetime | None = None
    urgent_contact: str | None = None
    tentative: bool = False
    earliest_end: datetime | None = None
    latest_end: datetime | None = None
    urgent: bool = False
    original_subject: str | None = None
    old_back_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RenderedReply:
    text: str
    subject: str
    language: str
    tone: str


def _config_dir() -> Path:
    override = os.environ.get("IJAZA_CONFIG_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "config"


@lru_cache(maxsize=4)
def _defaults(language: str) -> dict[str, Any]:
    with open(_config_dir() / "defaults" / "templates" / f"{language}.toml", "rb") as fh:
        return tomllib.load(fh)


def default_template(situation: str, language: str, tone: str) -> str:
    """The shipped wording (Jinja2 source) for a situation, language and tone."""
    _check_key(situation, language, tone)
    return _defaults(language)[situation][tone].strip()


def _check_key(situation: str, language: str, tone: str) -> None:
    if situation not in SITUATIONS:
        raise TemplateInvalid(f"unknown situation '{situation}'")
    if language not in LANGUAGES:
        raise TemplateInvalid(f"unknown language '{language}'")
    if tone not in TONES:
        raise TemplateInvalid(f"unknown tone '{tone}'")


# --- dates a person reads ----------------------------------------------------------------

_AR_DIGITS_TO_LATN = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def format_date_only(day: date, language: str) -> str:
    """«الأربعاء 10 مارس 2027 (2 شوال 1448)» / "Wednesday 10 March 2027 (2 Shawwal 1448)".

    Latin digits in Arabic too (what Gulf and Levant business writing uses); the Hijri part
    is the Umm al-Qura date.
    """
    gregorian = format_date(day, "EEEE d MMMM y", locale=language).translate(_AR_DIGITS_TO_LATN)
    try:
        hy, hm, hd = hijri.to_hijri(day)
    except hijri.OutOfRange:
        return gregorian
    return f"{gregorian} ({hd} {hijri.month_name(hm, language)} {hy})"


@lru_cache(maxsize=256)
def _zone_label(zone: str, language: str) -> str:
    return get_timezone_location(zone, locale=language)


def format_instant(value: datetime, language: str, tz: ZoneInfo) -> str:
    """Date in both calendars plus the local time and the zone's name, e.g.
    "Wednesday 10 March 2027 (2 Shawwal 1448), 9:00 AM Saudi Arabia Time"."""
    local = value.astimezone(tz)
    clock = format_time(local, "h:mm a", locale=language).translate(_AR_DIGITS_TO_LATN)
    zone = _zone_label(tz.key, language)
    joiner = "، " if language == "ar" else ", "
    return f"{format_date_only(local.date(), language)}{joiner}{clock} {zone}".strip()


def eid_greeting(occasion: str | None, language: str, tone: str) -> str | None:
    """The Eid greeting that opens a reply during Eid al-Fitr and Eid al-Adha, else None."""
    if occasion not in EIDS:
        return None
    greetings = _defaults(language)["greeting"]
    return greetings[f"{occasion}_{tone}"]


# --- the sandbox ---------------------------------------------------------------------------

class _Sandbox(ImmutableSandboxedEnvironment):
    """No attribute starting with '_', no calls to anything but a few filters, and
    arithmetic that cannot allocate huge strings or numbers."""

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator in ("*", "**"):
            raise SecurityError("multiplication and powers are not allowed in templates")
        return super().call_binop(context, operator, left, right)

    def is_safe_callable(self, obj: Any) -> bool:
        return False


@lru_cache(maxsize=1)
def _env() -> _Sandbox:
    env = _Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False,
                   trim_blocks=False, lstrip_blocks=True)
    env.intercepted_binops = frozenset({"*", "**"})
    env.globals.clear()
    keep = {"upper", "lower", "capitalize", "title", "trim", "default", "d", "e", "escape",
            "length", "replace", "truncate", "first", "last", "join"}
    env.filters = {k: v for k, v in env.filters.items() if k in keep}
    env.tests = {k: v for k, v in env.tests.items() if k in ("defined", "undefined", "none",
                                                             "string", "true", "false")}
    return env


VARIABLES = frozenset({
    "contact_name", "owner_name", "occasion", "occasion_title", "period_start", "period_end",
    "back_at", "reply_by", "earliest_end", "latest_end", "old_back_at", "urgent_contact",
    "eid_greeting", "tentative", "urgent", "language", "tone",
})


@lru_cache(maxsize=2048)
def _compiled(source: str) -> Any:
    if len(source) > MAX_SOURCE:
        raise TemplateInvalid(f"a template may be at most {MAX_SOURCE} characters")
    env = _env()
    try:
        tree = env.parse(source)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise TemplateInvalid(f"syntax error{f' on line {line}' if line else ''}: {exc}") from exc
    for node in tree.find_all((nodes.For, nodes.Macro, nodes.CallBlock, nodes.Call,
                               nodes.Import, nodes.FromImport, nodes.Include, nodes.Extends)):
        raise TemplateInvalid(f"'{type(node).__name__.lower()}' is not allowed in reply templates")
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name not in VARIABLES:
            raise TemplateInvalid(f"unknown variable '{node.name}'; known: "
                                  f"{', '.join(sorted(VARIABLES))}")
    for node in tree.find_all(nodes.Getattr):
        raise TemplateInvalid(f"attribute access ('.{node.attr}') is not allowed")
    for node in tree.find_all(nodes.Getitem):
        raise TemplateInvalid("indexing is not allowed in reply templates")
    try:
        return env.from_string(tree)
    except TemplateError as exc:
        raise TemplateInvalid(str(exc)) from exc


def _variables(ctx: ReplyContext) -> dict[str, Any]:
    lang, tz = ctx.language, ctx.timezone

    def when(value: datetime | None) -> str:
        return format_instant(value, lang, tz) if value is not None else ""

    def day(value: datetime | None) -> str:
        return format_date_only(value.astimezone(tz).date(), lang) if value is not None else ""

    title = ""
    if ctx.occasion_title:
        title = ctx.occasion_title.get(lang) or next(iter(ctx.occasion_title.values()), "")
    # A window ends at midnight: "until" reads better as the last day it covers.
    last_day = None
    if ctx.period_end is not None:
        from datetime import timedelta

        last_day = (ctx.period_end.astimezone(tz) - timedelta(seconds=1))
    return {
        "contact_name": (ctx.contact_name or "").strip(),
        "owner_name": ctx.owner_name,
        "occasion": ctx.occasion or "",
        "occasion_title": title,
        "period_start": day(ctx.period_start),
        "period_end": day(last_day),
        "back_at": when(ctx.back_at),
        "reply_by": when(ctx.reply_by),
        "earliest_end": day(ctx.earliest_end),
        "latest_end": day(ctx.latest_end),
        "old_back_at": when(ctx.old_back_at),
        "urgent_contact": (ctx.urgent_contact or "").strip(),
        "eid_greeting": eid_greeting(ctx.occasion, lang, ctx.tone) or "",
        "tentative": bool(ctx.tentative),
        "urgent": bool(ctx.urgent),
        "language": lang,
        "tone": ctx.tone,
    }


def _render(source: str, variables: dict[str, Any]) -> str:
    try:
        text = _compiled(source).render(variables)
    except TemplateInvalid:
        raise
    except (SecurityError, TemplateError, TypeError, ValueError, OverflowError) as exc:
        raise TemplateInvalid(f"the template failed to render: {exc}") from exc
    text = "\n".join(line.rstrip() for line in text.strip().splitlines())
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    if len(text) > MAX_OUTPUT:
        raise TemplateInvalid(f"the reply would be longer than {MAX_OUTPUT} characters")
    return text


def _sample(language: str, tone: str, *, name: str | None, tentative: bool) -> ReplyContext:
    tz = ZoneInfo("Asia/Riyadh")
    return ReplyContext(
        language=language, tone=tone, owner_name="Nakhla Studio", timezone=tz,
        contact_name=name, occasion="eid_al_fitr",
        occasion_title={"ar": "عيد الفطر 1448", "en": "Eid al-Fitr 1448"},
        period_start=datetime(2027, 3, 8, tzinfo=tz), period_end=datetime(2027, 3, 13, tzinfo=tz),
        back_at=datetime(2027, 3, 14, 9, tzinfo=tz), reply_by=datetime(2027, 3, 14, 13, tzinfo=tz),
        urgent_contact="Omar +966500000000" if name else None, tentative=tentative,
        earliest_end=datetime(2027, 3, 13, tzinfo=tz), latest_end=datetime(2027, 3, 14, tzinfo=tz),
        urgent=bool(name), old_back_at=datetime(2027, 3, 13, 9, tzinfo=tz))


def validate_template(source: str) -> None:
    """Raise TemplateInvalid unless the template compiles and renders for every language,
    tone and with or without the optional values."""
    if not isinstance(source, str) or not source.strip():
        raise TemplateInvalid("a template cannot be empty")
    _compiled(source)
    for language in LANGUAGES:
        for tone in TONES:
            for name, tentative in (("Amina", True), (None, False)):
                _render(source, _variables(_sample(language, tone, name=name, tentative=tentative)))


def _subject(situation: str, ctx: ReplyContext, variables: dict[str, Any]) -> str:
    subjects = _defaults(ctx.language)["subject"]
    title = variables["occasion_title"]
    key = situation if situation in subjects else "default"
    text = subjects[key].replace("{title}", title or subjects["no_title"]).strip()
    return text


def render_reply(situation: str, ctx: ReplyContext, *, source: str | None = None) -> RenderedReply:
    """The reply for a situation. ``source`` is an owner's template (None: the default).

    Raises TemplateInvalid only for a template that never passed validation.
    """
    _check_key(situation, ctx.language, ctx.tone)
    variables = _variables(ctx)
    text = _render(source if source is not None else default_template(situation, ctx.language,
                                                                       ctx.tone), variables)
    return RenderedReply(text=text, subject=_subject(situation, ctx, variables),
                         language=ctx.language, tone=ctx.tone)
