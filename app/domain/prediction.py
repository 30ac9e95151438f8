"""When a Hijri month is expected to begin in a country: candidates with probabilities.

The country's ``[practice]`` (``countries.Practice``) says how it decides: it follows another
country's announcement, or applies a crescent criterion (``crescent.MARGINS``) at its
reference places, or both — the followed country's day, never before its own criterion's
(:func:`later_of`). A country that only follows may begin a day after the one it follows
with a calibrated chance (``later``, :func:`lagged`). For a criterion the model looks at
the evening of the conjunction's local day ``d0`` and the next one (``d0 + 1``) — the 29th
falls on one of them — and takes the best margin over the places. A logistic curve of that
margin (the country's calibrated ``centre`` and ``scale``) gives the chance that the month
begins the next morning:

    P(d0 + 1) = p0,   P(d0 + 2) = (1 − p0) p1,   P(d0 + 3) = (1 − p0)(1 − p1)

Candidates under 0.5 % are dropped and the rest renormalised; probabilities are rounded to
three decimals and sum to exactly 1. ``date`` is the most likely candidate (the earlier one
on a tie); ``earliest``/``latest`` span the candidates of at least ``REAL_CHANCE``.

The crescent geometry does not change, so it is computed ahead: ``config/crescent/
evidence.csv`` holds every deciding country's margins for 1343–1475 AH (written by
``python -m app.domain.prediction``), keyed by a fingerprint of the country's practice; a
row whose practice has changed since is ignored and computed afresh. A request therefore
never runs the ephemeris for a country whose table is current.

Outside the ephemeris (after 2053-10) the prediction falls back to the tabular Umm al-Qura
date plus the country's ``offset_days``, with the country's old risk range as candidates
(``method`` says so). Results are cached per (country, Hijri year, month), bounded.

Errors: ``countries.UnknownCountry``; ``hijri.OutOfRange`` for a year outside 1343–1500;
``ValueError`` for a month outside 1–12 or a circle of ``follows``.
"""

from __future__ import annotations

import csv
import hashlib
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from app.domain import crescent, hijri
from app.domain.countries import (
    CountryProfile,
    Practice,
    config_root,
    country,
    supported_countries,
)
from app.domain.model import Candidate, Prediction

REAL_CHANCE = 0.05
# The unified calendar's exception (Istanbul 2016): the criterion met on land in the
# Americas after 00:00 UTC still counts when the conjunction came before dawn (fajr) in
# New Zealand, about 17:00 UTC the day before.
_NZ_FAJR_BEFORE_MIDNIGHT = timedelta(hours=7)
_KEEP = 0.005
_FALLBACK_SIDE = 0.2  # without a practice: the chance of each day beside the table's

CRITERION_NAMES = {
    "umm_al_qura": "Umm al-Qura rule (conjunction before sunset, moonset after sunset)",
    "mabims": "MABIMS 2021 (altitude ≥ 3°, elongation ≥ 6.4°)",
    "mabims_1995": "MABIMS 1995 (altitude ≥ 2°, elongation ≥ 3° or age ≥ 8 h)",
    "istanbul": "5°/8° rule (altitude ≥ 5°, elongation ≥ 8°)",
    "yallop": "Yallop's q, naked-eye sighting",
    "odeh": "Odeh's V, sighting with optical aid",
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """The crescent on the two evenings that decide a month: ``d0`` is the conjunction's
    local day; ``margins`` the best margin over the places on ``d0`` and ``d0 + 1`` (the
    criterion's unit; ≥ 0 means the criterion holds)."""

    criterion: str
    d0: date
    margins: tuple[float, float]


def month_start(country_code: str, hijri_year: int, month: int) -> Prediction:
    """The predicted first day of Hijri ``month`` of ``hijri_year`` in the country."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be in 1-12, got {month}")
    hijri.check_hijri_year(hijri_year)
    return _month_start(country(country_code).code, hijri_year, month, ())


def clear_cache() -> None:
    """Forget predictions (tests that swap the country configuration)."""
    _month_start.cache_clear()


def sigmoid(margin: float, centre: float, scale: float) -> float:
    """The calibrated chance that the criterion's verdict is "begins tomorrow"."""
    z = (margin - centre) / scale
    if z < -60:
        return 0.0
    return 1 / (1 + math.exp(-z))


def distribute(first_day: date, chances: Sequence[float]) -> tuple[Candidate, ...]:
    """Candidates from per-evening chances: evening ``k`` (``first_day - 1 + k``) is the
    first on which the month is declared with ``chances[k]``; after the last evening the
    month begins regardless. Drops candidates under 0.5 %; rounded; sums to 1."""
    raw: list[tuple[date, float]] = []
    remaining = 1.0
    for k, chance in enumerate(chances):
        raw.append((first_day + timedelta(days=k), remaining * chance))
        remaining *= 1 - chance
    raw.append((first_day + timedelta(days=len(chances)), remaining))
    return _rounded(raw)


def later_of(first: Sequence[Candidate], second: Sequence[Candidate]) -> tuple[Candidate, ...]:
    """Candidates for the later of two independent first days (a country that announces
    with another but never before its own criterion holds):
    ``P(max = d) = F₁(d) F₂(d) − F₁(d − 1) F₂(d − 1)`` with ``F`` the cumulative chances.
    Rounded and pruned as :func:`distribute`."""
    days = sorted({c.date for c in (*first, *second)})

    def upto(cands: Sequence[Candidate], day: date) -> float:
        return sum(c.probability for c in cands if c.date <= day)

    raw, before = [], 0.0
    for day in days:
        both = upto(first, day) * upto(second, day)
        raw.append((day, both - before))
        before = both
    return _rounded(raw)


def lagged(followed: Sequence[Candidate], later: float) -> tuple[Candidate, ...]:
    """Candidates of a country that begins on the followed country's day, or with chance
    ``later`` a day after it: ``P(d) = (1 − later) P₁(d) + later P₁(d − 1)``. Rounded and
    pruned as :func:`distribute`."""
    chance = {c.date: c.probability for c in followed}
    days = sorted({*chance, *(d + timedelta(days=1) for d in chance)})
    return _rounded([(d, (1 - later) * chance.get(d, 0.0)
                      + later * chance.get(d - timedelta(days=1), 0.0)) for d in days])


def _rounded(raw: Sequence[tuple[date, float]]) -> tuple[Candidate, ...]:
    kept = [(d, p) for d, p in raw if p >= _KEEP]
    total = sum(p for _, p in kept)
    rounded = [(d, round(p / total, 3)) for d, p in kept]
    # Give the rounding remainder to the likeliest day, so the sum is exactly 1.
    top = max(range(len(rounded)), key=lambda i: rounded[i][1])
    rest = round(1 - sum(p for i, (_, p) in enumerate(rounded) if i != top), 3)
    rounded[top] = (rounded[top][0], rest)
    return tuple(Candidate(d, p) for d, p in rounded if p > 0)


def summarise(candidates: Sequence[Candidate], method: str) -> Prediction:
    """The prediction for ``candidates``: the likeliest date (earlier on a tie) and the range
    of candidates with at least ``REAL_CHANCE``."""
    best = max(candidates, key=lambda c: (c.probability, -c.date.toordinal()))
    real = [c.date for c in candidates if c.probability >= REAL_CHANCE] or [best.date]
    return Prediction(date=best.date, earliest=min(*real, best.date),
                      latest=max(*real, best.date), candidates=tuple(candidates),
                      method=method)


def evidence(practice: Practice, timezone: str, hijri_year: int, month: int) -> Evidence:
    """The crescent margins for ``practice`` around the start of Hijri ``month``;
    :class:`crescent.OutsideEphemeris` past 2053."""
    criterion = practice.criterion_for(hijri_year)
    if criterion is None:
        raise ValueError("a practice that follows another country has no criterion")
    margin_of = crescent.MARGINS[criterion]
    expected = hijri.to_gregorian(hijri_year, month, 1)
    conjunction = crescent.conjunction_near(expected - timedelta(days=1))
    zone = UTC if practice.before_utc_midnight else ZoneInfo(timezone)
    d0 = conjunction.astimezone(zone).date()
    best = [-math.inf, -math.inf]
    for place in practice.places:
        for k, ev in enumerate(crescent.evenings(place, d0, 2)):
            deadline = datetime.combine(ev.day + timedelta(days=1), time(0), tzinfo=UTC)
            if practice.before_utc_midnight and ev.sunset >= deadline and not (
                    place.americas and ev.conjunction < deadline - _NZ_FAJR_BEFORE_MIDNIGHT):
                continue
            best[k] = max(best[k], margin_of(ev))
    return Evidence(criterion, d0, (best[0], best[1]))


def from_evidence(found: Evidence, centre: float, scale: float, method: str) -> Prediction:
    """The prediction that ``found`` gives under a calibration."""
    chances = [sigmoid(m, centre, scale) for m in found.margins]
    return summarise(distribute(found.d0 + timedelta(days=1), chances), method)


def hold_back(followed: Prediction, own: Evidence, centre: float, scale: float,
              method: str) -> Prediction:
    """The followed country's prediction, never before the day ``own`` evidence gives under
    the country's calibration (:func:`later_of`)."""
    chances = [sigmoid(m, centre, scale) for m in own.margins]
    mine = distribute(own.d0 + timedelta(days=1), chances)
    return summarise(later_of(followed.candidates, mine), method)


def describe(profile: CountryProfile, hijri_year: int) -> str:
    """The method in words, e.g. "MABIMS 2021 (…) at Banda Aceh, Jakarta"."""
    practice = profile.practice
    if practice is None:
        return "Umm al-Qura table plus the country's usual offset"
    criterion = practice.criterion_for(hijri_year)
    own = ""
    if criterion is not None:
        where = ("anywhere with sunset before 00:00 UTC" if practice.before_utc_midnight
                 else "at " + ", ".join(p.name for p in practice.places))
        own = f"{CRITERION_NAMES[criterion]} {where}"
    if practice.follows is None:
        return own
    leader = describe(country(practice.follows), hijri_year)
    if criterion is None:
        return f"follows {practice.follows}: {leader}"
    return f"follows {practice.follows} ({leader}), never before {own}"


@lru_cache(maxsize=4096)
def _month_start(code: str, hijri_year: int, month: int, seen: tuple[str, ...]) -> Prediction:
    profile = country(code)
    practice = profile.practice
    if practice is not None and practice.follows is not None:
        if practice.follows in seen or practice.follows == code:
            raise ValueError(f"{code} follows a circle: {' → '.join((*seen, code))}")
        followed = _month_start(country(practice.follows).code, hijri_year, month,
                                (*seen, code))
        if practice.criterion is not None:
            try:
                found = evidence_of(profile, hijri_year, month)
            except crescent.OutsideEphemeris:
                pass
            else:
                return hold_back(followed, found, practice.centre, practice.scale,
                                 describe(profile, hijri_year))
        method = f"follows {practice.follows}: {followed.method}"
        if practice.later:
            return summarise(lagged(followed.candidates, practice.later),
                             f"{method}; a day later at {practice.later:.0%}")
        return Prediction(followed.date, followed.earliest, followed.latest,
                          followed.candidates, method)
    if practice is not None:
        try:
            found = evidence_of(profile, hijri_year, month)
        except crescent.OutsideEphemeris:
            pass
        else:
            return from_evidence(found, practice.centre, practice.scale,
                                 describe(profile, hijri_year))
    return _tabular(profile, hijri_year, month)


def _tabular(profile: CountryProfile, hijri_year: int, month: int) -> Prediction:
    day = hijri.to_gregorian(hijri_year, month, 1) + timedelta(days=profile.offset_days)
    early = _FALLBACK_SIDE if profile.early_risk_days else 0.0
    late = _FALLBACK_SIDE if profile.late_risk_days else 0.0
    candidates = [Candidate(day + timedelta(days=k), p)
                  for k, p in ((-1, early), (0, round(1 - early - late, 3)), (1, late)) if p]
    where = " (beyond the ephemeris)" if profile.practice else ""
    return summarise(candidates, f"Umm al-Qura table plus the country's usual offset{where}")


# --------------------------------------------------------------------------------------
# the precomputed evidence

TABLE = Path("crescent") / "evidence.csv"
TABLE_YEARS = range(hijri.HIJRI_MIN_YEAR, 1476)  # the ephemeris ends in 1475 AH (2053)
PREDICTED_MONTHS = (1, 3, 9, 10, 12)  # the months whose first day an occasion hangs on


def evidence_of(profile: CountryProfile, hijri_year: int, month: int) -> Evidence:
    """The country's evidence for a month: from the precomputed table when its row is
    current, else computed (:class:`crescent.OutsideEphemeris` past 2053)."""
    assert profile.practice is not None
    stored = _table(config_root()).get((fingerprint(profile), hijri_year, month))
    return stored or evidence(profile.practice, profile.timezone, hijri_year, month)


def fingerprint(profile: CountryProfile) -> str:
    """What the evidence depends on: the practice's criteria, places and the timezone."""
    practice = profile.practice
    assert practice is not None
    key = repr((profile.code, profile.timezone, practice.criterion, practice.earlier,
                practice.places, practice.before_utc_midnight))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@lru_cache(maxsize=4)
def _table(root: Path) -> Mapping[tuple[str, int, int], Evidence]:
    path = root / TABLE
    if not path.exists():
        return {}
    with path.open(newline="") as fh:
        return {(row["fingerprint"], int(row["hijri_year"]), int(row["month"])):
                Evidence(row["criterion"], date.fromisoformat(row["d0"]),
                         (float(row["margin0"]), float(row["margin1"])))
                for row in csv.DictReader(fh)}


def evidence_rows(codes: Iterable[str], years: Iterable[int]) -> Iterable[list[str]]:
    """The table's rows for the deciding countries among ``codes`` (computes the ephemeris)."""
    for code in codes:
        profile = country(code)
        if profile.practice is None or profile.practice.criterion is None:
            continue
        print_ = fingerprint(profile)
        for hy in years:
            for month in PREDICTED_MONTHS:
                try:
                    found = evidence(profile.practice, profile.timezone, hy, month)
                except crescent.OutsideEphemeris:
                    continue
                yield [profile.code, print_, str(hy), str(month), found.criterion,
                       found.d0.isoformat(), f"{found.margins[0]:.4f}",
                       f"{found.margins[1]:.4f}"]


def write_table(path: Path, codes: Iterable[str], years: Iterable[int]) -> None:
    """Write the evidence table (one row per country, Hijri year and month)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["country", "fingerprint", "hijri_year", "month", "criterion", "d0",
                      "margin0", "margin1"])
        for row in evidence_rows(codes, years):
            out.writerow(row)
            fh.flush()


if __name__ == "__main__":  # python -m app.domain.prediction [COUNTRY …]
    write_table(config_root() / TABLE, sys.argv[1:] or supported_countries(), TABLE_YEARS)
