"""Country profiles: weekends, moon-sighting habits, official holiday spans and default rules.

The data lives in ``config/countries/<code>.toml`` (one file per country, each entry citing its
source); this module only loads and checks it. The config root is, in order: the
``config_dir`` argument, the ``IJAZA_CONFIG_DIR`` environment variable, or the repository's
``config/``. Profiles are loaded once per directory and cached.

A file looks like::

    code = "SA"
    name = { ar = "السعودية", en = "Saudi Arabia" }
    timezone = "Asia/Riyadh"
    weekend = ["fri", "sat"]
    holidays_code = "SA"            # country code in the `holidays` package, or absent

    [prediction]                    # how the first day of a month compares with Umm al-Qura
    offset_days = 0                 # usual shift of the country's date from Umm al-Qura
    early_risk_days = 0             # the true date can be this many days before the prediction
    late_risk_days = 1              # ... or this many days after it
    published_is_final = false      # true where the authority fixes dates years ahead (TR)

    [holiday.eid_al_fitr]           # official public-holiday span; its presence makes the
    start = "09-29"                 # occasion a public holiday. Hijri "MM-DD" in the country's
    start_offset_days = 1           # own (observed) calendar, or "occasion" for the day itself
    length_days = 4                 # or: end = "10-03" (inclusive), end_offset_days = 0
    eve_half_day_from = "13:00"     # optional: the eve is a half day from this local time (TR)

    [observed.eid_al_fitr]          # first days as observed, where `holidays` has no table
    1436 = "2015-07-17"

    [[default_rules]]               # what an owner in this country gets unless they set rules
    id = "eid_al_fitr-off"          # (the rules.rule_from_dict format)
    occasion = "eid_al_fitr"
    kind = "off"
    span = { type = "holiday" }

Decisions: the pseudo-country ``none`` is pure Umm al-Qura with no public holidays and a
Saturday–Sunday weekend (the international default: its users are mostly outside the
countries listed). Codes are case-insensitive; ``CountryProfile.code`` is the canonical form
(upper case, ``none`` lower case).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from app.domain.crescent import MARGINS, Place
from app.domain.model import WEEKDAYS, Occasion

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
NONE = "none"
ISLAMIC_OCCASIONS = (Occasion.RAMADAN, Occasion.EID_AL_FITR, Occasion.ARAFAH, Occasion.EID_AL_ADHA,
                     Occasion.ISLAMIC_NEW_YEAR, Occasion.ASHURA, Occasion.MAWLID)
# Hijri months whose first day a country's calendar pins down (through the occasion in it).
ANCHOR_MONTHS = frozenset({1, 3, 9, 10, 12})
_HIJRI_MD = re.compile(r"^(\d{2})-(\d{2})$")


class UnknownCountry(LookupError):
    """No profile for this code; ``supported`` lists the codes that exist."""

    def __init__(self, code: str, supported: list[str]) -> None:
        super().__init__(f"Unknown country '{code}'. Supported: {', '.join(supported)}.")
        self.code = code
        self.supported = supported


class CountryDataError(ValueError):
    """A country file is malformed; the message names the file and the field."""


@dataclass(frozen=True, slots=True)
class HolidaySpan:
    """An official holiday span, as Hijri month-days in the country's observed calendar.

    ``start``/``end`` are ``(month, day)`` or ``None`` for "the occasion's own day". The first
    holiday day is ``start + start_offset_days``. With ``length_days`` the last day is the
    first + ``length_days - 1``; when ``length_days`` is ``None`` it is ``end +
    end_offset_days``. ``eve_half_day_from`` marks the
    afternoon before the first day as holiday too (Turkey's *arife*).
    """

    start: tuple[int, int] | None
    start_offset_days: int = 0
    end: tuple[int, int] | None = None
    end_offset_days: int = 0
    length_days: int | None = None
    eve_half_day_from: time | None = None


@dataclass(frozen=True, slots=True)
class NationalEntry:
    """A fixed-date public holiday from the country file, for countries `holidays` lacks."""

    month: int
    day: int
    name: Mapping[str, str]
    since: int | None = None


@dataclass(frozen=True, slots=True)
class Practice:
    """How the country decides that a Hijri month has begun (``[practice]``).

    Either ``follows`` another country's announcement, or applies ``criterion`` (a name in
    ``crescent.MARGINS``) at ``places``, or both: then the month begins on the followed
    country's day but never before the criterion holds at home (a sighting claimed abroad
    is refused when the crescent cannot be seen locally: Egypt, the Levant, the Maghreb).
    With a criterion the month begins when it holds at any of the places
    (with ``before_utc_midnight``: anywhere whose sunset is before 00:00 UTC, the unified
    calendar's global rule). ``earlier`` lists ``(until_hijri_year, criterion)`` for a
    criterion used before the current one. ``centre``/``scale`` turn the criterion's margin
    into the probability that the month begins the next day (a logistic curve calibrated on
    the back-test, ``bench/calendar_backtest.py --fit``). ``later`` (``later_chance``, for a
    country that only follows) is the chance that it begins a day after the country it
    follows, also fitted on the back-test. ``source`` says where the choice comes from.
    """

    source: str
    follows: str | None = None
    criterion: str | None = None
    places: tuple[Place, ...] = ()
    before_utc_midnight: bool = False
    centre: float = 0.0
    scale: float = 0.5
    earlier: tuple[tuple[int, str], ...] = ()
    later: float = 0.0

    def criterion_for(self, hijri_year: int) -> str | None:
        """The criterion in force in ``hijri_year``."""
        for until, name in sorted(self.earlier):
            if hijri_year <= until:
                return name
        return self.criterion


@dataclass(frozen=True, slots=True)
class CountryProfile:
    code: str
    name: Mapping[str, str]
    timezone: str
    weekend: tuple[str, ...]
    holidays_code: str | None
    offset_days: int
    early_risk_days: int
    late_risk_days: int
    published_is_final: bool
    holiday_spans: Mapping[str, HolidaySpan]
    observed: Mapping[str, Mapping[int, date]]
    default_rules: tuple[Mapping[str, Any], ...]  # Any: raw rule JSON, for rules.rule_from_dict
    national: tuple[NationalEntry, ...] = ()
    practice: Practice | None = None


def config_root(config_dir: Path | str | None = None) -> Path:
    """The config root in effect: argument, then ``IJAZA_CONFIG_DIR``, then the repo's."""
    if config_dir is not None:
        return Path(config_dir)
    env = os.environ.get("IJAZA_CONFIG_DIR")
    return Path(env) if env else DEFAULT_CONFIG_DIR


def supported_countries(config_dir: Path | str | None = None) -> list[str]:
    """Canonical codes of every country file, sorted, ``none`` last."""
    return list(_load_all(config_root(config_dir)))


def country(code: str, config_dir: Path | str | None = None) -> CountryProfile:
    """The profile for ``code`` (case-insensitive); :class:`UnknownCountry` if there is none."""
    profiles = _load_all(config_root(config_dir))
    found = profiles.get(_canonical(code)) if isinstance(code, str) else None
    if found is None:
        raise UnknownCountry(str(code), list(profiles))
    return found


def clear_cache() -> None:
    """Forget loaded profiles (tests that write their own config directory)."""
    _load_all.cache_clear()


def _canonical(code: str) -> str:
    code = code.strip()
    return NONE if code.lower() == NONE else code.upper()


@lru_cache(maxsize=8)
def _load_all(root: Path) -> Mapping[str, CountryProfile]:
    folder = root / "countries"
    profiles: dict[str, CountryProfile] = {}
    for path in sorted(folder.glob("*.toml")):
        with path.open("rb") as fh:
            try:
                raw = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise CountryDataError(f"{path.name}: {exc}") from exc
        profile = _parse(raw, path.name)
        profiles[profile.code] = profile
    ordered = sorted(profiles, key=lambda c: (c == NONE, c))
    return MappingProxyType({c: profiles[c] for c in ordered})


def _parse(raw: dict[str, Any], source: str) -> CountryProfile:  # Any: parsed TOML, checked here
    def fail(field: str, message: str) -> CountryDataError:
        return CountryDataError(f"{source}: {field}: {message}")

    code = raw.get("code")
    if not isinstance(code, str) or not code:
        raise fail("code", "missing")
    name = raw.get("name") or {}
    if not {"ar", "en"} <= set(name):
        raise fail("name", "needs 'ar' and 'en'")
    weekend = tuple(raw.get("weekend", ()))
    if not weekend or any(d not in WEEKDAYS for d in weekend):
        raise fail("weekend", f"days must be among {', '.join(WEEKDAYS)}")
    prediction = raw.get("prediction", {})
    ints = {}
    for key in ("offset_days", "early_risk_days", "late_risk_days"):
        value = prediction.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or not -3 <= value <= 3:
            raise fail(f"prediction.{key}", "a whole number of days between -3 and 3")
        ints[key] = value
    if ints["early_risk_days"] < 0 or ints["late_risk_days"] < 0:
        raise fail("prediction", "risk days cannot be negative")

    spans = {}
    for occasion, spec in raw.get("holiday", {}).items():
        if occasion not in ISLAMIC_OCCASIONS:
            raise fail(f"holiday.{occasion}", "not an Islamic occasion")
        spans[occasion] = _parse_span(spec, f"holiday.{occasion}", fail)

    observed: dict[str, Mapping[int, date]] = {}
    for occasion, table in raw.get("observed", {}).items():
        if occasion not in ISLAMIC_OCCASIONS:
            raise fail(f"observed.{occasion}", "not an Islamic occasion")
        parsed = {}
        for year, value in table.items():
            try:
                parsed[int(year)] = value if isinstance(value, date) else date.fromisoformat(value)
            except (TypeError, ValueError) as exc:
                raise fail(f"observed.{occasion}.{year}", f"not a date: {value!r}") from exc
        observed[occasion] = MappingProxyType(parsed)

    national = []
    for i, entry in enumerate(raw.get("national", ())):
        try:
            month, day = (int(p) for p in entry["date"].split("-"))
            date(2000, month, day)
            national.append(NationalEntry(month, day, MappingProxyType(dict(entry["name"])),
                                          entry.get("since")))
        except (KeyError, ValueError, AttributeError) as exc:
            raise fail(f"national[{i}]", "needs date 'MM-DD' and name {ar, en}") from exc

    practice = _parse_practice(raw["practice"], fail) if "practice" in raw else None

    return CountryProfile(
        code=_canonical(code),
        name=MappingProxyType(dict(name)),
        timezone=str(raw.get("timezone", "UTC")),
        weekend=weekend,
        holidays_code=raw.get("holidays_code"),
        offset_days=ints["offset_days"],
        early_risk_days=ints["early_risk_days"],
        late_risk_days=ints["late_risk_days"],
        published_is_final=bool(prediction.get("published_is_final", False)),
        holiday_spans=MappingProxyType(spans),
        observed=MappingProxyType(observed),
        default_rules=tuple(MappingProxyType(dict(r)) for r in raw.get("default_rules", ())),
        national=tuple(national),
        practice=practice,
    )


def _parse_practice(spec: dict[str, Any],
                    fail: Callable[[str, str], CountryDataError]) -> Practice:
    """The ``[practice]`` table (parsed TOML, hence Any); errors name ``practice.<field>``."""
    source = spec.get("source")
    if not isinstance(source, str) or not source.strip():
        raise fail("practice.source", "say where the country's practice comes from")
    follows = spec.get("follows")
    criterion = spec.get("criterion")
    if follows is None and criterion is None:
        raise fail("practice", "give follows, criterion or both")
    if criterion is None:
        later = spec.get("later_chance", 0.0)
        if not isinstance(later, (int, float)) or isinstance(later, bool) \
                or not 0 <= later < 0.5:
            raise fail("practice.later_chance", "a number from 0 to under 0.5")
        return Practice(source=source, follows=_canonical(str(follows)), later=float(later))
    if "later_chance" in spec:
        raise fail("practice.later_chance", "only for a country that only follows another")
    if criterion not in MARGINS:
        raise fail("practice.criterion", f"one of {', '.join(MARGINS)}")
    places = []
    for i, place in enumerate(spec.get("places", ())):
        try:
            places.append(Place(str(place["name"]), float(place["lat"]), float(place["lon"]),
                                float(place.get("elevation", 0)),
                                americas=bool(place.get("americas", False))))
        except (KeyError, TypeError, ValueError) as exc:
            raise fail(f"practice.places[{i}]", "needs name, lat, lon") from exc
        if not (-66 <= places[-1].latitude <= 66 and -180 <= places[-1].longitude <= 180):
            raise fail(f"practice.places[{i}]", "latitude within ±66°, longitude ±180°")
    if not places:
        raise fail("practice.places", "at least one place")
    earlier = []
    for i, entry in enumerate(spec.get("earlier", ())):
        name, until = entry.get("criterion"), entry.get("until_hijri_year")
        if name not in MARGINS or not isinstance(until, int):
            raise fail(f"practice.earlier[{i}]", "needs until_hijri_year and a criterion")
        earlier.append((until, str(name)))
    calibration = spec.get("calibration", {})
    try:
        centre, scale = float(calibration.get("centre", 0.0)), float(calibration.get("scale", 0.5))
    except (TypeError, ValueError) as exc:
        raise fail("practice.calibration", "centre and scale are numbers") from exc
    if scale <= 0:
        raise fail("practice.calibration.scale", "must be positive")
    return Practice(source=source, criterion=str(criterion), places=tuple(places),
                    follows=None if follows is None else _canonical(str(follows)),
                    before_utc_midnight=bool(spec.get("before_utc_midnight", False)),
                    centre=centre, scale=scale, earlier=tuple(earlier))


def _parse_span(spec: dict[str, Any], where: str,
                fail: Callable[[str, str], CountryDataError]) -> HolidaySpan:
    """One ``[holiday.<occasion>]`` table (parsed TOML, hence Any); errors name
    ``where.<field>``."""

    def anchor(field: str) -> tuple[int, int] | None:
        value = spec.get(field, "occasion")
        if value == "occasion":
            return None
        m = _HIJRI_MD.match(str(value))
        if not m or int(m[1]) not in ANCHOR_MONTHS or not 1 <= int(m[2]) <= 30:
            raise fail(f"{where}.{field}",
                       f"'occasion' or a Hijri 'MM-DD' in months {sorted(ANCHOR_MONTHS)}")
        return int(m[1]), int(m[2])

    length = spec.get("length_days")
    if length is not None and (not isinstance(length, int) or not 1 <= length <= 15):
        raise fail(f"{where}.length_days", "between 1 and 15")
    if length is not None and "end" in spec:
        raise fail(f"{where}.end", "give either end or length_days")
    eve = spec.get("eve_half_day_from")
    try:
        eve_time = time.fromisoformat(eve) if eve else None
    except ValueError as exc:
        raise fail(f"{where}.eve_half_day_from", "a time 'HH:MM'") from exc
    has_end = "end" in spec
    return HolidaySpan(
        start=anchor("start"),
        start_offset_days=int(spec.get("start_offset_days", 0)),
        end=anchor("end") if has_end else None,
        end_offset_days=int(spec.get("end_offset_days", 0)),
        length_days=None if has_end else (length or 1),
        eve_half_day_from=eve_time,
    )
