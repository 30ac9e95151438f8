"""Reply text: the default wording per situation × language × tone, owners' own templates
rendered in a sandbox, and dates written the way a person reads them.

Default wording lives in ``config/defaults/templates/{ar,en}.toml`` (one table per
situation, one Jinja2 source per tone, plus the Eid greetings and the subjects).

Template variables — every one is always defined; dates arrive already written in the
reply's language, in both calendars, in the owner's timezone; "empty" means ``""``:

- ``contact_name`` — the client's name, or empty
- ``owner_name`` — the business or freelancer signing the reply
- ``occasion`` — the occasion code (``eid_al_fitr``, ``ramadan``, …), or empty
- ``occasion_title`` — the occasion's localized title («عيد الفطر», "Eid al-Fitr"), or empty
- ``period_start``, ``period_end`` — the first and the last *day* the window covers
  (a window ending at midnight ends on the day before), or empty
- ``earliest_end``, ``latest_end`` — for a tentative window, the earliest and latest last
  day it may end on, or empty
- ``back_at`` — the instant the owner is next working, e.g.
  "Sunday 14 March 2027 (6 Shawwal 1448), 9:00 AM Riyadh time"
- ``reply_by`` — the instant the client can expect an answer by
- ``old_back_at`` — for a correction, the return instant announced before, or empty
- ``urgent_contact`` — the delegate for urgent matters, or empty
- ``eid_greeting`` — «عيد مبارك، وكل عام وأنتم بخير.» during Eid, else empty
- ``tentative``, ``urgent`` — booleans
- ``language`` (``ar``/``en``), ``tone`` (``formal``/``friendly``)

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

Subjects are short and localized («إجازة عيد الفطر», "Away for Eid al-Fitr"); the email
channel builds its own ``Auto: Re: …`` subject from the client's message, so
``ReplyContext.original_subject`` is carried for channels and not used here.
"""

from __future__ import annotations

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
from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.exceptions import SecurityError
from jinja2.filters import FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.domain import hijri
from app.domain.model import Occasion, Situation
from app.domain.text import config_dir

log = logging.getLogger(__name__)

SITUATIONS = tuple(Situation)
LANGUAGES = ("ar", "en")
TONES = ("formal", "friendly")
EIDS = (Occasion.EID_AL_FITR, Occasion.EID_AL_ADHA)
MAX_SOURCE = 4000  # characters of template source
MAX_OUTPUT = 4000  # characters of rendered reply
_MAX_NAME = 120  # a contact or owner name longer than this is clipped
_MAX_CONTACT = 300  # the urgent-contact text
_MAX_DEPTH = 40  # nesting of the template's syntax tree; deeper trees compile very slowly


# A template's values (see the module doc): strings, and the booleans tentative and urgent.
Variables = dict[str, str | bool]


class TemplateInvalid(ValueError):
    """A template that cannot be used; the message says what is wrong."""


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


def _check_key(situation: str, language: str, tone: str) -> None:
    if situation not in SITUATIONS:
        raise TemplateInvalid(f"unknown situation '{situation}'; one of {', '.join(SITUATIONS)}")
    if language not in LANGUAGES:
        raise TemplateInvalid(f"unknown language '{language}'; one of {', '.join(LANGUAGES)}")
    if tone not in TONES:
        raise TemplateInvalid(f"unknown tone '{tone}'; one of {', '.join(TONES)}")


def default_template(situation: str, language: str, tone: str) -> str:
    """The shipped Jinja2 source for a situation, language and tone.

    Raises TemplateInvalid for an unknown situation, language or tone.
    """
    _check_key(situation, language, tone)
    source: str = _defaults(language)[situation][tone]
    return source.strip()


def eid_greeting(occasion: str | None, language: str, tone: str) -> str | None:
    """The greeting that opens a reply during Eid al-Fitr or Eid al-Adha, else None."""
    if occasion not in EIDS or language not in LANGUAGES or tone not in TONES:
        return None
    greeting: str = _defaults(language)["greeting"][occasion][tone]
    return greeting


# --- dates a person reads --------------------------------------------------------------------

_TO_LATIN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@lru_cache(maxsize=4096)
def format_date_only(day: date, language: str, hijri_shift_days: int = 0) -> str:
    """A calendar day in both calendars: «الأربعاء 10 مارس 2027 (2 شوال 1448)» /
    "Wednesday 10 March 2027 (2 Shawwal 1448)".

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
def _clock(hour: int, minute: int, language: str) -> str:
    return format_time(time(hour, minute), "h:mm a", locale=language).translate(_TO_LATIN_DIGITS)


@lru_cache(maxsize=1024)
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
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("format_instant needs a timezone-aware datetime")
    local = value.astimezone(tz)
    offset = local.utcoffset() or timedelta(0)
    joiner = "، " if language == "ar" else ", "
    return (f"{format_date_only(local.date(), language, hijri_shift_days)}{joiner}"
            f"{_clock(local.hour, local.minute, language)} {_zone_label(tz.key, offset, language)}")


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
    "contact_name", "owner_name", "occasion", "occasion_title", "period_start", "period_end",
    "back_at", "reply_by", "earliest_end", "latest_end", "old_back_at", "urgent_contact",
    "eid_greeting", "tentative", "urgent", "language", "tone",
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
                              f"known: {', '.join(sorted(VARIABLES))}")


@lru_cache(maxsize=2048)
def _compiled(source: str) -> Template:
    if len(source) > MAX_SOURCE:
        raise TemplateInvalid(f"a template may be at most {MAX_SOURCE} characters")
    env = _env()
    try:
        tree = env.parse(source)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f" on line {line}" if line else ""
        raise TemplateInvalid(f"syntax error{where}: {getattr(exc, 'message', exc)}") from exc
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
_UNSAFE_CHARS = re.compile("[\u202a-\u202e\u2066-\u2069]")  # bidi overrides and isolates


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


# Unicode's control characters (category Cc) are exactly U+0000–U+001F and U+007F–U+009F.
_CONTROL_TO_SPACE = {code: " " for code in (*range(0x20), *range(0x7F, 0xA0))}


def _clean(value: str | None, limit: int) -> str:
    """One line of user-given text: no control or bidi-override characters, clipped."""
    if not value:
        return ""
    value = " ".join(_UNSAFE_CHARS.sub("", value.translate(_CONTROL_TO_SPACE)).split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _variables(ctx: ReplyContext) -> Variables:
    language, tz = ctx.language, ctx.timezone

    def instant(value: datetime | None) -> str:
        return (format_instant(value, language, tz, ctx.hijri_shift_days)
                if value is not None else "")

    def day(value: datetime | None, *, end: bool = False) -> str:
        if value is None:
            return ""
        local = value.astimezone(tz)
        if end:  # an exclusive end: the last day covered is the day of the instant before
            local -= timedelta(microseconds=1)
        return format_date_only(local.date(), language, ctx.hijri_shift_days)

    title = ""
    if ctx.occasion_title:
        title = ctx.occasion_title.get(language) or next(iter(ctx.occasion_title.values()), "")
    return {
        "contact_name": _clean(ctx.contact_name, _MAX_NAME),
        "owner_name": _clean(ctx.owner_name, _MAX_NAME),
        "occasion": ctx.occasion or "",
        "occasion_title": _clean(title, _MAX_NAME),
        "period_start": day(ctx.period_start),
        "period_end": day(ctx.period_end, end=True),
        "back_at": instant(ctx.back_at),
        "reply_by": instant(ctx.reply_by),
        "earliest_end": day(ctx.earliest_end, end=True),
        "latest_end": day(ctx.latest_end, end=True),
        "old_back_at": instant(ctx.old_back_at),
        "urgent_contact": _clean(ctx.urgent_contact, _MAX_CONTACT),
        "eid_greeting": eid_greeting(ctx.occasion, language, ctx.tone) or "",
        "tentative": bool(ctx.tentative),
        "urgent": bool(ctx.urgent),
        "language": language,
        "tone": ctx.tone,
    }


@lru_cache(maxsize=1)
def _samples() -> tuple[Variables, ...]:
    """Full and bare sample values for every language and tone (for validation)."""
    tz = ZoneInfo("Asia/Riyadh")
    full = ReplyContext(
        language="ar", tone="formal", owner_name="Nakhla Studio", timezone=tz,
        contact_name="Amina", occasion=Occasion.EID_AL_FITR,
        occasion_title={"ar": "عيد الفطر", "en": "Eid al-Fitr"},
        period_start=datetime(2027, 3, 9, tzinfo=tz), period_end=datetime(2027, 3, 13, tzinfo=tz),
        back_at=datetime(2027, 3, 14, 9, tzinfo=tz), reply_by=datetime(2027, 3, 14, 13, tzinfo=tz),
        urgent_contact="Omar, +966 50 000 0000", tentative=True,
        earliest_end=datetime(2027, 3, 12, tzinfo=tz), latest_end=datetime(2027, 3, 13, tzinfo=tz),
        urgent=True, old_back_at=datetime(2027, 3, 13, 9, tzinfo=tz))
    bare = ReplyContext(
        language="ar", tone="formal", owner_name="N", timezone=tz,
        back_at=datetime(2027, 3, 14, 9, tzinfo=tz), reply_by=datetime(2027, 3, 14, 13, tzinfo=tz))
    out = []
    for language in LANGUAGES:
        for tone in TONES:
            for base in (full, bare):
                out.append(_variables(replace(base, language=language, tone=tone)))
    return tuple(out)


# --- public API -------------------------------------------------------------------------------


def validate_template(source: str) -> None:
    """Refuse a template that would not render for every language, tone and sample context.

    Raises TemplateInvalid naming the problem: a syntax error (with its line), an unknown
    variable or filter, a construct the sandbox does not allow, or an over-long result.
    """
    if not isinstance(source, str) or not source.strip():
        raise TemplateInvalid("a template cannot be empty")
    _compiled(source)
    for variables in _samples():
        _run(source, variables)


def render(source: str, ctx: ReplyContext) -> str:
    """Render Jinja2 ``source`` with the context's variables; TemplateInvalid on failure."""
    return _run(source, _variables(ctx))


# Stands for the client's name in a draft (private-use characters: in no wording).
_NAME_SLOT = "\ue000contact_name\ue001"


class ReplyDraft:
    """One situation's reply for every client who writes about the same thing (a batch of
    messages during a break): the dates and names are written once, and where the template
    allows, the template runs once too and each client's name is put in its place.

    That is exact when the template uses ``contact_name`` only as ``{{ contact_name }}`` and
    as the bare test of an ``if`` (as the shipped wording does): the text for a name is
    then the text for a stand-in with the name put in its place, and the text without a
    name is one more run. Otherwise, or if the result would be too long, each client's
    reply is rendered in full, as :func:`render_reply` does.
    """

    def __init__(self, situation: str, ctx: ReplyContext, *, source: str | None = None) -> None:
        _check_key(situation, ctx.language, ctx.tone)
        self.situation, self.ctx, self.source = situation, ctx, source
        self.variables = _variables(replace(ctx, contact_name=None))
        self._named: str | None = None
        self._nameless: str | None = None
        self._subject = _subject(situation, ctx.language, self.variables)
        template = source if source is not None else default_template(situation, ctx.language,
                                                                      ctx.tone)
        if _name_is_a_slot(template) and not any(
                isinstance(v, str) and _NAME_SLOT in v for v in self.variables.values()):
            try:
                self._named = _run(template, {**self.variables, "contact_name": _NAME_SLOT})
                self._nameless = _run(template, {**self.variables, "contact_name": ""})
            except TemplateInvalid:  # the full path reports it and falls back to the default
                self._named = self._nameless = None

    def for_contact(self, contact_name: str | None) -> RenderedReply:
        name = _clean(contact_name, _MAX_NAME)
        text = None
        if self._named is not None and self._nameless is not None:
            text = self._named.replace(_NAME_SLOT, name) if name else self._nameless
            if len(text) > MAX_OUTPUT:
                text = None
        if text is None:
            return render_reply(self.situation, self.ctx, source=self.source,
                                variables={**self.variables, "contact_name": name})
        return RenderedReply(text=text, subject=self._subject, language=self.ctx.language,
                             tone=self.ctx.tone)


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
                 variables: Variables | None = None) -> RenderedReply:
    """The reply for a situation: the owner's ``source`` or, when None, the default wording.
    ``variables`` are the template's values when the caller has them already (a draft).

    An owner's template that fails at reply time (it passed validation, so this means an
    unusual context) falls back to the default wording rather than leaving the client
    without an answer. Raises TemplateInvalid only for an unknown situation, language or tone.
    """
    _check_key(situation, ctx.language, ctx.tone)
    if variables is None:
        variables = _variables(ctx)
    text = None
    if source is not None:
        try:
            text = _run(source, variables)
        except TemplateInvalid as exc:
            log.warning("custom %s/%s/%s template failed, using the default: %s",
                        situation, ctx.language, ctx.tone, exc)
    if text is None:
        text = _run(default_template(situation, ctx.language, ctx.tone), variables)
    return RenderedReply(text=text, subject=_subject(situation, ctx.language, variables),
                         language=ctx.language, tone=ctx.tone)


def _subject(situation: str, language: str, variables: Variables) -> str:
    subjects: dict[str, str] = _defaults(language)["subject"][situation]
    title = str(variables["occasion_title"])
    if title and "titled" in subjects:
        return subjects["titled"].replace("{title}", title)
    return subjects["plain"]
