"""Issue 16: back-test of the crescent prediction against the first days that happened.

For every observed first day of Ramadan, Eid al-Fitr and Eid al-Adha since 1433 AH (2012)
in the country tables (the country file's ``[observed]`` table, then the ``holidays``
package's confirmed dates, past days only), the month's start is predicted *without that
year's observed or confirmed data*:

* the crescent geometry needs no observation at all;
* the calibration (each country's logistic ``centre``/``scale``) is refitted leaving the
  whole Hijri year out (leave-one-year-out), for the country and for the one it follows.

Per country and overall: exact-day accuracy, the share inside ``[earliest, latest]``, the
mean width of that range in days, and the Brier score (sum over candidate days of
``(p − hit)²``; 0 is perfect, 2 is sure and wrong). Beside it the plain Umm al-Qura plus
offset prediction (its date with probability 1, range from the country's risk days).

``--speed`` measures what a request pays: a country's year (``occasions_for_year``, the
calendar read path's domain work) with the caches cleared but the precomputed evidence in
place, the same cached, and 13 months of one owner's windows (``rules.materialise``) — each
beside the same call with the ephemeris computed from scratch (the floor the table saves).

``--ceiling`` prints, per country, the best that simple rules do *in-sample* (fitted on
the very months they are scored on, so an upper bound for them, not a prediction): Umm
al-Qura plus the best fixed offset; Saudi Arabia's own announced day, known in advance;
the country's criterion with its all-years calibration. Where even that is under 90 %,
the recorded days are not a function of the crescent and Saudi Arabia's announcement.

``--fit`` prints the calibration fitted on *all* years, the values in
``config/countries/*.toml`` (what the service uses for future months).

Targets (issue 16): ≥ 95 % exact overall and ≥ 90 % in each country with ten or more
observations; ≥ 99 % inside the range; mean width ≤ 1.3 days.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain import countries, hijri, occasions, prediction  # noqa: E402
from app.domain.countries import CountryProfile  # noqa: E402
from app.domain.model import Prediction  # noqa: E402

FIRST_YEAR = 1433  # 1 Muharram 1433 = 26 November 2011
MONTHS = {"ramadan": (9, 0), "eid_al_fitr": (10, 0), "eid_al_adha": (12, 9)}
# The calibration grid, in each criterion's unit: degrees (q for Yallop), minutes of lag for
# the Umm al-Qura rule.
GRID = {
    "umm_al_qura": ([float(x) for x in range(-20, 41)], [0.5, 1, 2, 3, 5, 8, 12, 20, 30]),
    "default": ([x / 10 for x in range(-50, 31)],
                [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0]),
}
# The prior's width on the centre, in the criterion's unit (minutes of lag, else degrees/q).
PRIOR_WIDTH = {"umm_al_qura": 3.0, "default": 0.5}


@dataclass(frozen=True)
class Observation:
    country: str
    occasion: str
    hijri_year: int
    month: int
    first_day: date  # the observed first day of the Hijri month


def observations(today: date) -> list[Observation]:
    found = []
    for code in countries.supported_countries():
        profile = countries.country(code)
        library = occasions._library_observed(code)  # the package's confirmed dates
        for hy in range(FIRST_YEAR, hijri.to_hijri(today)[0] + 1):
            for occasion, (month, day_offset) in MONTHS.items():
                day = (profile.observed.get(occasion, {}).get(hy)
                       or library.get(occasion, {}).get(hy))
                if day is None or day >= today:
                    continue
                found.append(Observation(code, occasion, hy, month,
                                         day - timedelta(days=day_offset)))
    return found


def chance_of(pred_candidates: tuple[prediction.Candidate, ...], first_day: date) -> float:
    return next((c.probability for c in pred_candidates if c.date == first_day), 0.0)


def log_loss(ev: prediction.Evidence, first_day: date, centre: float, scale: float) -> float:
    """The model's log-loss for one month (the chances of ``prediction.distribute``)."""
    p0, p1 = (prediction.sigmoid(m, centre, scale) for m in ev.margins)
    k = (first_day - ev.d0).days
    p = {1: p0, 2: (1 - p0) * p1, 3: (1 - p0) * (1 - p1)}.get(k, 0.0)
    return -math.log(max(p, 1e-3))


def prior(criterion: str, centre: float) -> float:
    """A weak prior that the criterion's own threshold is right (margin 0), so that a
    country with few observations is not fitted to a handful of points."""
    width = PRIOR_WIDTH.get(criterion, PRIOR_WIDTH["default"])
    return 0.5 * (centre / width) ** 2


def calibrated(criterion: str, loss: Callable[[float, float], float]) -> tuple[float, float]:
    """The ``(centre, scale)`` on the criterion's grid minimising ``loss`` plus
    :func:`prior` (ties: the smaller centre, then scale)."""
    centres, scales = GRID.get(criterion, GRID["default"])
    best = min((loss(centre, scale) + prior(criterion, centre), centre, scale)
               for scale in scales for centre in centres)
    return best[1], best[2]


def fit(rows: list[tuple[prediction.Evidence, date]]) -> tuple[float, float]:
    """Grid-search the logistic calibration minimising log-loss plus :func:`prior`."""
    if not rows:
        return 0.0, 0.5
    return calibrated(rows[0][0].criterion, lambda centre, scale: sum(
        log_loss(ev, day, centre, scale) for ev, day in rows))


def fit_held_back(rows: list[tuple[Prediction, prediction.Evidence, date]]
                  ) -> tuple[float, float]:
    """The calibration of a country that follows another but never begins before its own
    criterion holds: log-loss of :func:`prediction.hold_back` plus :func:`prior`."""
    if not rows:
        return 0.0, 0.5
    return calibrated(rows[0][1].criterion, lambda centre, scale: sum(
        -math.log(max(chance_of(prediction.hold_back(led, own, centre, scale, "").candidates,
                                day), 1e-3))
        for led, own, day in rows))


# The chance that a follower begins a day after the country it follows: its grid, and a
# prior (Beta(1, LATER_PRIOR + 1) on the chance) that a follower begins with its leader.
LATER_GRID = [k / 100 for k in range(50)]
LATER_PRIOR = 4.0


def fit_later(rows: list[tuple[Prediction, date]]) -> float:
    """The chance that a follower begins a day late, maximising its log-likelihood (the
    leader's prediction :func:`prediction.lagged`) plus the prior."""
    best = (math.inf, 0.0)
    for later in LATER_GRID:
        loss = sum(-math.log(max(chance_of(prediction.lagged(led.candidates, later), day), 1e-3))
                   for led, day in rows)
        best = min(best, (loss - LATER_PRIOR * math.log(1 - later), later))
    return best[1]


def brier(pred: Prediction, first_day: date) -> float:
    score = sum((c.probability - (c.date == first_day)) ** 2 for c in pred.candidates)
    if all(c.date != first_day for c in pred.candidates):
        score += 1
    return score


def baseline(profile: CountryProfile, hy: int, month: int) -> Prediction:
    day = hijri.to_gregorian(hy, month, 1) + timedelta(days=profile.offset_days)
    return Prediction(day, day - timedelta(days=profile.early_risk_days),
                      day + timedelta(days=profile.late_risk_days),
                      (prediction.Candidate(day, 1.0),), "Umm al-Qura + offset")


class Tally:
    def __init__(self) -> None:
        self.n = self.exact = self.inside = 0
        self.width = self.brier = 0.0

    def add(self, pred: Prediction, first_day: date) -> None:
        self.n += 1
        self.exact += pred.date == first_day
        self.inside += pred.earliest <= first_day <= pred.latest
        self.width += (pred.latest - pred.earliest).days + 1
        self.brier += brier(pred, first_day)

    def cells(self) -> list[str]:
        n = max(self.n, 1)
        return [f"{self.exact / n * 100:.0f} %", f"{self.inside / n * 100:.0f} %",
                f"{self.width / n:.2f}", f"{self.brier / n:.3f}"]


class Backtest:
    """Leave-one-year-out predictions: every calibration is refitted without the year."""

    def __init__(self, seen: list[Observation]) -> None:
        self.evidence: dict[tuple[str, int, int], prediction.Evidence] = {}
        self.rows: dict[str, list[Observation]] = defaultdict(list)
        for obs in seen:
            self.rows[obs.country].append(obs)
        self._fits: dict[tuple[str, int | None], tuple[float, float]] = {}
        self._later: dict[tuple[str, int | None], float] = {}

    def own_evidence(self, code: str, hy: int, month: int) -> prediction.Evidence | None:
        key = (code, hy, month)
        if key not in self.evidence:
            profile = countries.country(code)
            if profile.practice is None or profile.practice.criterion is None:
                return None
            self.evidence[key] = prediction.evidence_of(profile, hy, month)
        return self.evidence[key]

    def calibration(self, code: str, left_out: int | None) -> tuple[float, float]:
        """The country's calibration fitted on its observations outside ``left_out``
        (a pure follower's observations count for the country it follows)."""
        key = (code, left_out)
        if key in self._fits:
            return self._fits[key]
        practice = countries.country(code).practice
        assert practice is not None and practice.criterion is not None
        mine = [o for o in self.rows[code] if o.hijri_year != left_out]
        if practice.follows is None:  # fitted on its own announcements only
            found = fit([(ev, o.first_day) for o in mine
                         if (ev := self.own_evidence(code, o.hijri_year, o.month)) is not None])
        else:
            # Countries that follow the same leader but refuse a day their own criterion
            # rules out share one calibration: a handful of verified months each.
            group = [c for c in self.rows if _held_back_by(c) == (practice.follows,
                                                                   practice.criterion)]
            held = []
            for c in group:
                for o in self.rows[c]:
                    if o.hijri_year == left_out:
                        continue
                    led = self.predict(practice.follows, o.hijri_year, o.month, left_out)
                    own = self.own_evidence(c, o.hijri_year, o.month)
                    if led is not None and own is not None:
                        held.append((led, own, o.first_day))
            found = fit_held_back(held)
        self._fits[key] = found
        return found

    def later(self, code: str, left_out: int | None) -> float:
        """A pure follower's chance of beginning a day late, fitted without ``left_out``."""
        key = (code, left_out)
        if key not in self._later:
            practice = countries.country(code).practice
            assert practice is not None and practice.follows is not None
            kept = [o for o in self.rows[code] if o.hijri_year != left_out]
            led = [self.predict(practice.follows, o.hijri_year, o.month, left_out)
                   for o in kept]
            self._later[key] = fit_later([(p, o.first_day)
                                          for p, o in zip(led, kept, strict=True) if p])
        return self._later[key]

    def predict(self, code: str, hy: int, month: int, left_out: int | None
                ) -> Prediction | None:
        """The prediction for the country's month with calibrations fitted without
        ``left_out``."""
        practice = countries.country(code).practice
        if practice is None:
            return None
        if practice.follows is not None:
            led = self.predict(practice.follows, hy, month, left_out)
            if led is None:
                return None
            if practice.criterion is None:
                return prediction.summarise(
                    prediction.lagged(led.candidates, self.later(code, left_out)), "")
            own = self.own_evidence(code, hy, month)
            assert own is not None
            centre, scale = self.calibration(code, left_out)
            return prediction.hold_back(led, own, centre, scale, "")
        own = self.own_evidence(code, hy, month)
        assert own is not None
        centre, scale = self.calibration(code, left_out)
        return prediction.from_evidence(own, centre, scale, "")


def _held_back_by(code: str) -> tuple[str, str] | None:
    """(leader, criterion) for a country that follows a leader but not before its own
    criterion holds, else None."""
    practice = countries.country(code).practice
    if practice is None or practice.follows is None or practice.criterion is None:
        return None
    return practice.follows, practice.criterion


def ceiling(seen: list[Observation], run: Backtest) -> None:
    """Print :func:`ceiling`'s table: see the module docstring (``--ceiling``)."""
    saudi = {(o.hijri_year, o.month): o.first_day for o in seen if o.country == "SA"}
    print("| country | n | UQ + best offset | Saudi Arabia's announced day | own criterion, "
          "in-sample | best |\n|---|---|---|---|---|---|")
    for code in sorted(run.rows):
        rows = run.rows[code]
        shifts = [(o.first_day - hijri.to_gregorian(o.hijri_year, o.month, 1)).days
                  for o in rows]
        hits = [max(shifts.count(k) for k in set(shifts)),  # UQ + the commonest offset
                sum(saudi.get((o.hijri_year, o.month)) == o.first_day for o in rows)]
        practice = countries.country(code).practice
        if practice is not None and practice.criterion is not None:
            own = [run.predict(code, o.hijri_year, o.month, None) for o in rows]
            hits.append(sum(p is not None and p.date == o.first_day
                            for p, o in zip(own, rows, strict=True)))
        cells = [f"{k / len(rows) * 100:.0f} %" for k in hits] + ["–"] * (3 - len(hits))
        print(f"| {code} | {len(rows)} | " + " | ".join(cells)
              + f" | **{max(hits) / len(rows) * 100:.0f} %** |")


def speed(today: date) -> None:
    import statistics
    import timeit
    from zoneinfo import ZoneInfo

    from app.domain import crescent, rules
    from app.windows.computed import horizon

    def cold(code: str) -> float:
        occasions.clear_cache()
        started = time.perf_counter()
        occasions.occasions_for_year(code, today.year + 1, today=today)
        return time.perf_counter() - started

    print("| what | median | detail |\n|---|---|---|")
    for code in ("SA", "MA", "ID", "TR"):
        cold(code)  # the first call loads the table and the holidays library
        runs = [cold(code) for _ in range(5)]
        number = 2000
        cached = min(timeit.repeat(lambda c=code: occasions.occasions_for_year(
            c, today.year + 1, today=today), repeat=3, number=number)) / number
        start, end = horizon(today)
        tz = ZoneInfo(countries.country(code).timezone)
        occasions.clear_cache()
        started = time.perf_counter()
        made = rules.materialise(rules.default_rules(code), country=code, tz=tz, start=start,
                                 end=end, today=today, id_prefix="b:")
        first_owner = time.perf_counter() - started
        later = min(timeit.repeat(lambda c=code, z=tz, s=start, e=end: rules.materialise(
            rules.default_rules(c), country=c, tz=z, start=s, end=e, today=today,
            id_prefix="b:"), repeat=3, number=20)) / 20
        # The floor the table saves: the same year with the ephemeris run from scratch.
        occasions.clear_cache()
        crescent._evenings.cache_clear()
        table = prediction._table
        prediction._table = lambda root: {}  # type: ignore[assignment]
        started = time.perf_counter()
        occasions.occasions_for_year(code, today.year + 1, today=today)
        live = time.perf_counter() - started
        prediction._table = table
        occasions.clear_cache()
        print(f"| {code} {today.year + 1}: occasions_for_year, caches cleared | "
              f"{statistics.median(runs) * 1000:.1f} ms | min {min(runs) * 1000:.1f} ms; "
              f"ephemeris computed instead of the table: {live * 1000:.0f} ms |")
        print(f"| {code} {today.year + 1}: occasions_for_year, cached | {cached * 1e6:.1f} µs | "
              f"best of 3 × {number} |")
        print(f"| {code}: rules.materialise 13 months, one owner | {later * 1000:.2f} ms | "
              f"first owner after a cache clear {first_owner * 1000:.1f} ms; "
              f"{len(made)} windows |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fit", action="store_true", help="print the all-years calibration")
    parser.add_argument("--speed", action="store_true", help="time the read path instead")
    parser.add_argument("--ceiling", action="store_true",
                        help="print what simple rules do at best, in-sample")
    parser.add_argument("--today", type=date.fromisoformat, default=date.today())
    args = parser.parse_args()
    if args.speed:
        speed(args.today)
        return
    started = time.perf_counter()
    seen = observations(args.today)
    run = Backtest(seen)
    if args.ceiling:
        ceiling(seen, run)
        return
    if args.fit:
        for code in sorted({o.country for o in seen}):
            practice = countries.country(code).practice
            if practice is None:
                continue
            if practice.criterion is None:
                print(f"{code}: later_chance = {run.later(code, None)}"
                      f"  ({len(run.rows[code])} observations, follows {practice.follows})")
                continue
            centre, scale = run.calibration(code, None)
            group = ([c for c in run.rows if _held_back_by(c) == _held_back_by(code)]
                     if _held_back_by(code) else [code])
            print(f"{code}: calibration = {{ centre = {centre}, scale = {scale} }}"
                  f"  ({sum(len(run.rows[c]) for c in group)} observations"
                  f"{', pooled: ' + ' '.join(group) if len(group) > 1 else ''})")
        return

    model: dict[str, Tally] = defaultdict(Tally)
    plain: dict[str, Tally] = defaultdict(Tally)
    for obs in seen:
        profile = countries.country(obs.country)
        plain[obs.country].add(baseline(profile, obs.hijri_year, obs.month), obs.first_day)
        plain["all"].add(baseline(profile, obs.hijri_year, obs.month), obs.first_day)
        pred = run.predict(obs.country, obs.hijri_year, obs.month, left_out=obs.hijri_year)
        if pred is None:
            continue
        model[obs.country].add(pred, obs.first_day)
        model["all"].add(pred, obs.first_day)

    header = ("| country | n | exact | inside | width | Brier | UQ+offset exact | inside "
              "| width | Brier |")
    print(header)
    print("|" + "---|" * 10)
    for code in [*sorted(c for c in model if c != "all"), "all"]:
        print(f"| {code} | {model[code].n} | " + " | ".join(model[code].cells()) + " | "
              + " | ".join(plain[code].cells()) + " |")
    print(f"\n{len(seen)} observations, {len(run.evidence)} months computed, "
          f"{time.perf_counter() - started:.0f} s; leave-one-year-out calibration.")
    n = model["all"].n
    exact, inside = model["all"].exact / n, model["all"].inside / n
    width = model["all"].width / n
    weak = [c for c, t in model.items() if c != "all" and t.n >= 10 and t.exact / t.n < 0.9]
    print(f"targets: exact {exact * 100:.1f} % (≥ 95 %): {'met' if exact >= 0.95 else 'MISSED'}; "
          f"inside {inside * 100:.1f} % (≥ 99 %): {'met' if inside >= 0.99 else 'MISSED'}; "
          f"width {width:.2f} (≤ 1.3): {'met' if width <= 1.3 else 'MISSED'}; "
          f"countries under 90 %: {', '.join(sorted(weak)) or 'none'}")


if __name__ == "__main__":
    main()
