"""Field validators shared by the request schemas; each raises ValueError with a clear
message, which FastAPI turns into a 422 naming the field."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from app.domain import countries, hours
from app.domain.model import InboundMessage
from app.domain.refusal import Refusal

LANGUAGES = ("ar", "en")
TONES = ("formal", "friendly")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_name(value: str) -> str:
    if value not in _zones():
        raise Refusal("not_timezone", "'{value}' is not an IANA timezone (e.g. 'Asia/Riyadh').",
                      value=value)
    return value


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def slug(value: str) -> str:
    if not SLUG.match(value):
        raise ValueError("use 1–64 lower-case letters, digits, '-' or '_', starting with a "
                         "letter or digit")
    return value


def duration(value: str, *, minimum: timedelta = timedelta(seconds=1)) -> str:
    td = hours.parse_duration(value)
    if td < minimum:
        raise ValueError(f"'{value}' is shorter than {hours.format_duration(minimum)}")
    if td > timedelta(days=366):
        raise ValueError(f"'{value}' is longer than a year")
    return hours.format_duration(td)


def aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("give the time with its UTC offset, e.g. 2027-03-10T11:00:00+03:00")
    return value


def languages(value: list[str]) -> list[str]:
    if not value:
        raise ValueError("give at least one language")
    seen: list[str] = []
    for lang in value:
        if lang not in LANGUAGES:
            raise ValueError(f"'{lang}' is not a supported language ({', '.join(LANGUAGES)})")
        if lang not in seen:
            seen.append(lang)
    return seen


def country_code(value: str) -> str:
    code = value.strip()
    supported = countries.supported_countries()
    lookup = {c.lower(): c for c in supported}
    if code.lower() not in lookup:
        raise ValueError(f"'{value}' is not a supported country; supported: "
                         f"{', '.join(supported)}")
    return lookup[code.lower()]


# C0 controls but tab, LF and CR: PostgreSQL cannot store NUL in text or JSON, so no
# database stores any of them (the same on SQLite and PostgreSQL).
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_REPR_CONTROL = re.compile(r"\\x(?:0[0-8bcef]|1[0-9a-f])")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return CONTROLS.sub("", value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def without_controls(message: InboundMessage) -> InboundMessage:
    """The message with C0 controls removed from what is stored (text, name, address,
    subject, headers, reply context): a platform's message is cleaned, not refused, so
    that it is still recorded and answered."""
    plain = "".join((message.text, message.name or "", message.address, message.subject or "",
                     message.dedupe_key or "", message.language_hint or ""))
    # repr() spells a control character as \xNN: one C-level pass over each mapping (a
    # literal backslash-x in the text only costs a cleaning that changes nothing).
    if (CONTROLS.search(plain) is None
            and not (message.headers and _REPR_CONTROL.search(repr(message.headers)))
            and not (message.reply_context and _REPR_CONTROL.search(repr(message.reply_context)))):
        return message
    return replace(message, text=_clean(message.text), name=_clean(message.name),
                   address=_clean(message.address), subject=_clean(message.subject),
                   dedupe_key=_clean(message.dedupe_key),
                   language_hint=_clean(message.language_hint),
                   headers=_clean(dict(message.headers)),
                   reply_context=_clean(dict(message.reply_context)))
