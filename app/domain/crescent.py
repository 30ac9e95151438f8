"""The young crescent at sunset, and the criteria that say whether a new month has begun.

Geometry comes from skyfield with the JPL DE421 ephemeris shipped by ``skyfield-data``
(valid 1899-07-29 to 2053-10-09). Nothing is downloaded: the ephemeris is opened with
``skyfield.api.load_file`` from the package's own folder (``load_file`` never fetches) and the
timescale uses skyfield's built-in leap-second and ΔT tables (``builtin=True``). Outside the
ephemeris' span :func:`evenings` raises :class:`OutsideEphemeris` and the caller falls back to
the tabular calendar.

Quantities (all angles in degrees, ``width`` in arcminutes, ``lag`` in minutes, ``age`` in
hours), as defined by Yallop (1997, NAO Technical Note 69) and Odeh (2004, Experimental
Astronomy 18:39–64):

* ``sunset``: the instant the Sun's upper limb touches the horizon (centre at −0.8333°,
  standard refraction), UTC.
* ``moon_altitude``: the Moon's topocentric airless altitude at sunset (what MABIMS and the
  5°/8° rule compare with their altitude threshold).
* ``elongation``: the geocentric Sun–Moon angle at sunset (the 5°/8° rule, MABIMS 1995);
  ``elongation_topo`` the same seen from the place (MABIMS 2021: Kemenag's published
  elongations are topocentric — 7.93°–9.54° across Indonesia on 22 March 2023).
* ``lag``: moonset minus sunset; ``age``: sunset minus the conjunction (negative before it).
* At the *best time* ``Tb = sunset + 4/9 lag`` (Yallop): ``arcv`` (geocentric Moon minus Sun
  altitude), ``arcv_topo``, ``arcl_topo``, ``daz`` (Sun minus Moon azimuth) and
  ``width`` (topocentric crescent width ``W = SD (1 − cos ARCL)``).

The criteria are pure functions of one :class:`Evening`; each has a *margin* (how far the
crescent lies beyond its threshold, in the criterion's own unit; ≥ 0 means "the month
begins") used by ``prediction`` to turn geometry into a probability.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from skyfield import almanac
from skyfield.api import Loader, load_file, wgs84

EPHEMERIS_FILE = "de421.bsp"
EPHEMERIS_FIRST_DAY = date(1900, 1, 1)
EPHEMERIS_LAST_DAY = date(2053, 10, 1)
MOON_RADIUS_KM = 1737.4
SUNSET_HORIZON = -0.8333  # degrees: upper limb with standard refraction


class OutsideEphemeris(ValueError):
    """The date is outside DE421 (1900–2053); the caller uses the tabular calendar."""


@dataclass(frozen=True, slots=True)
class Place:
    """A reference place for sighting: WGS84 ``latitude``/``longitude`` in degrees (east
    positive), ``elevation`` in metres."""

    name: str
    latitude: float
    longitude: float
    elevation: float = 0.0
    americas: bool = False  # counts for the unified calendar's exception (see prediction)


@dataclass(frozen=True, slots=True)
class Evening:
    """The crescent at one place on the evening of ``day`` (local civil date)."""

    place: str
    day: date
    sunset: datetime
    conjunction: datetime
    moon_altitude: float
    sun_altitude: float
    elongation: float
    elongation_topo: float
    lag: float
    age: float
    arcv: float
    arcv_topo: float
    arcl_topo: float
    daz: float
    width: float


# --------------------------------------------------------------------------------------
# the ephemeris, opened once from skyfield-data's folder


def ephemeris_path() -> str:
    """Where skyfield-data keeps DE421 (the package's ``data`` folder)."""
    return str(resources.files("skyfield_data") / "data" / EPHEMERIS_FILE)


@cache
def _sky() -> tuple[Any, Any]:  # Any: skyfield ships no type information
    # load_file opens a local file and never downloads; builtin=True uses the leap-second
    # and ΔT tables inside skyfield instead of fetching finals2000A.all.
    planets = load_file(ephemeris_path())
    timescale = Loader(str(resources.files("skyfield_data") / "data")).timescale(builtin=True)
    return planets, timescale


def _check(day: date) -> None:
    if not EPHEMERIS_FIRST_DAY <= day <= EPHEMERIS_LAST_DAY:
        raise OutsideEphemeris(f"{day.isoformat()} is outside the ephemeris "
                               f"({EPHEMERIS_FIRST_DAY.isoformat()} to "
                               f"{EPHEMERIS_LAST_DAY.isoformat()})")


# --------------------------------------------------------------------------------------
# geometry


def conjunction_near(day: date) -> datetime:
    """The astronomical new moon (geocentric conjunction in ecliptic longitude, UTC)
    nearest to noon UTC of ``day``; :class:`OutsideEphemeris` outside 1900–2053."""
    _check(day)
    middle = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    candidates = [*_new_moons(day.year - 1), *_new_moons(day.year), *_new_moons(day.year + 1)]
    return min(candidates, key=lambda t: abs(t - middle))


@lru_cache(maxsize=256)
def _new_moons(year: int) -> tuple[datetime, ...]:
    """Every new moon of a Gregorian year (one search per year, then cached)."""
    planets, ts = _sky()
    first = max(date(year, 1, 1), EPHEMERIS_FIRST_DAY)
    last = min(date(year + 1, 1, 1), EPHEMERIS_LAST_DAY + timedelta(days=1))
    if first >= last:
        return ()
    times, phases = almanac.find_discrete(ts.utc(first.year, first.month, first.day),
                                          ts.utc(last.year, last.month, last.day),
                                          almanac.moon_phases(planets))
    return tuple(t.utc_datetime() for t, phase in zip(times, phases, strict=True)
                 if phase == 0)


def evenings(place: Place, first_day: date, count: int) -> tuple[Evening, ...]:
    """The crescent at sunset at ``place`` on ``count`` consecutive local evenings from
    ``first_day``, against the new moon nearest ``first_day``. One vectorised search for
    the sunsets and moonsets; :class:`OutsideEphemeris` outside 1900–2053."""
    return _evenings(place, first_day, count)


@lru_cache(maxsize=4096)
def _evenings(place: Place, first_day: date, count: int) -> tuple[Evening, ...]:
    _check(first_day)
    _check(first_day + timedelta(days=count))
    planets, ts = _sky()
    earth, sun, moon = planets["earth"], planets["sun"], planets["moon"]
    site = wgs84.latlon(place.latitude, place.longitude, elevation_m=place.elevation)
    observer = earth + site
    conjunction = conjunction_near(first_day)
    # Local noon in mean solar time, so the window holds exactly `count` sunsets.
    noon = (datetime(first_day.year, first_day.month, first_day.day, 12, tzinfo=UTC)
            - timedelta(hours=place.longitude / 15))
    start, stop = ts.from_datetime(noon), ts.from_datetime(noon + timedelta(days=count))
    sunsets, _ = almanac.find_settings(observer, sun, start, stop,
                                       horizon_degrees=SUNSET_HORIZON)
    # Moonset of the upper limb with standard refraction, seen from the site (topocentric,
    # so parallax is already in the altitude).
    moonsets, _ = almanac.find_settings(observer, moon, ts.from_datetime(noon - timedelta(hours=6)),
                                        ts.from_datetime(noon + timedelta(days=count, hours=12)),
                                        horizon_degrees=SUNSET_HORIZON)
    sunset_times = [t.utc_datetime() for t in sunsets][:count]
    moonset_times = [t.utc_datetime() for t in moonsets]
    lags = []
    for at_sunset in sunset_times:
        moonset = min(moonset_times, key=lambda m: abs(m - at_sunset))
        lags.append((moonset - at_sunset).total_seconds() / 60)
    n = len(sunset_times)
    # Sunsets and best times (sunset + 4/9 lag) in one array: positions are computed once.
    both = ts.from_datetimes([*sunset_times,
                              *(s + timedelta(minutes=max(lag, 0.0) * 4 / 9)
                                for s, lag in zip(sunset_times, lags, strict=True))])
    topo = observer.at(both)
    moon_t, sun_t = topo.observe(moon).apparent(), topo.observe(sun).apparent()
    m_alt, m_az, m_dist = moon_t.altaz()
    s_alt, s_az, _ = sun_t.altaz()
    arcl = moon_t.separation_from(sun_t).degrees
    geo = earth.at(both)
    g_moon, g_sun = geo.observe(moon).apparent(), geo.observe(sun).apparent()
    elongation = g_moon.separation_from(g_sun).degrees
    g_moon_alt = _altitudes(g_moon, site, both)
    g_sun_alt = _altitudes(g_sun, site, both)
    found = []
    for i, at_sunset in enumerate(sunset_times):
        b = n + i  # the same evening's best time
        semi_diameter = math.degrees(math.asin(MOON_RADIUS_KM / float(m_dist.km[b]))) * 60
        found.append(Evening(
            place=place.name,
            day=first_day + timedelta(days=i),
            sunset=at_sunset,
            conjunction=conjunction,
            moon_altitude=float(m_alt.degrees[i]),
            sun_altitude=float(s_alt.degrees[i]),
            elongation=float(elongation[i]),
            elongation_topo=float(arcl[i]),
            lag=lags[i],
            age=(at_sunset - conjunction).total_seconds() / 3600,
            arcv=g_moon_alt[b] - g_sun_alt[b],
            arcv_topo=float(m_alt.degrees[b] - s_alt.degrees[b]),
            arcl_topo=float(arcl[b]),
            daz=float(s_az.degrees[b] - m_az.degrees[b]),
            width=semi_diameter * (1 - math.cos(math.radians(float(arcl[b])))),
        ))
    return tuple(found)


def _altitudes(geocentric: Any, site: Any, t: Any) -> list[float]:  # Any: skyfield objects
    """Altitudes of geocentric apparent positions above the site's horizon plane (the
    geocentric altitude Yallop's ARCV uses: no parallax, no refraction)."""
    ra, dec, _ = geocentric.radec(epoch=t)
    lat = math.radians(float(site.latitude.degrees))
    result = []
    for lst, ra_h, dec_d in zip(site.lst_hours_at(t), ra.hours, dec.degrees, strict=True):
        hour_angle = math.radians((float(lst) - float(ra_h)) * 15)
        d = math.radians(float(dec_d))
        result.append(math.degrees(math.asin(math.sin(lat) * math.sin(d)
                                             + math.cos(lat) * math.cos(d)
                                             * math.cos(hour_angle))))
    return result


# --------------------------------------------------------------------------------------
# criteria: each a pure function of one evening


def _moon_up(ev: Evening) -> bool:
    """Every criterion needs a Moon after conjunction that sets after the Sun."""
    return ev.age > 0 and ev.lag > 0


def yallop_q(ev: Evening) -> float:
    """Yallop's q (NAO TN 69, 1997): ``(ARCV − (11.8371 − 6.3226 W + 0.7319 W² −
    0.1018 W³)) / 10`` with geocentric ARCV (degrees) and topocentric W (arcmin) at the
    best time."""
    w = ev.width
    return (ev.arcv - (11.8371 - 6.3226 * w + 0.7319 * w ** 2 - 0.1018 * w ** 3)) / 10


YALLOP_ZONES: Sequence[tuple[str, float]] = (
    ("A", 0.216),  # easily visible to the naked eye
    ("B", -0.014),  # visible under perfect conditions
    ("C", -0.160),  # may need optical aid to find the crescent
    ("D", -0.232),  # visible with optical aid only
    ("E", -0.293),  # not visible with a telescope
)


def yallop_zone(q: float) -> str:
    """Yallop's zone A–F for ``q`` (F: below the Danjon limit)."""
    return next((zone for zone, floor in YALLOP_ZONES if q > floor), "F")


def odeh_v(ev: Evening) -> float:
    """Odeh's V (2004): ``ARCV − (−0.1018 W³ + 0.7319 W² − 6.3226 W + 7.1651)`` with
    topocentric ARCV (degrees) and W (arcmin) at the best time."""
    w = ev.width
    return ev.arcv_topo - (-0.1018 * w ** 3 + 0.7319 * w ** 2 - 6.3226 * w + 7.1651)


ODEH_ZONES: Sequence[tuple[str, float]] = (
    ("A", 5.65),  # visible by naked eye
    ("B", 2.00),  # visible by optical aid, could be seen by naked eye
    ("C", -0.96),  # visible by optical aid only
)


def odeh_zone(v: float) -> str:
    """Odeh's zone A–D for ``V`` (D: not visible even with optical aid)."""
    return next((zone for zone, floor in ODEH_ZONES if v >= floor), "D")


def mabims_margin(ev: Evening) -> float:
    """MABIMS 2021 (Brunei, Indonesia, Malaysia, Singapore, in force from 1443 AH): at
    sunset altitude ≥ 3° and elongation ≥ 6.4°, the elongation seen from the place
    (topocentric), as Kemenag's decision for Ramadan 1444 states it. The margin is the
    smaller surplus, degrees."""
    if not _moon_up(ev):
        return min(ev.moon_altitude - 3, ev.elongation_topo - 6.4, -1.0)
    return min(ev.moon_altitude - 3, ev.elongation_topo - 6.4)


def mabims_1995_margin(ev: Evening) -> float:
    """The old MABIMS rule (until 1442 AH): altitude ≥ 2° and (elongation ≥ 3° or age ≥ 8 h);
    degrees (the age counts 1° per 2 hours)."""
    if not _moon_up(ev):
        return min(ev.moon_altitude - 2, -1.0)
    return min(ev.moon_altitude - 2, max(ev.elongation - 3, (ev.age - 8) / 2))


def istanbul_margin(ev: Evening) -> float:
    """The 5°/8° rule (Istanbul 1978, kept by the 2016 unified Hijri calendar congress, which
    Turkey's Diyanet applies): at sunset altitude ≥ 5° and elongation ≥ 8°; degrees."""
    if not _moon_up(ev):
        return min(ev.moon_altitude - 5, ev.elongation - 8, -1.0)
    return min(ev.moon_altitude - 5, ev.elongation - 8)


def umm_al_qura_margin(ev: Evening) -> float:
    """Umm al-Qura (since 1423 AH), at Mecca on the 29th: the conjunction before sunset and
    the Moon setting after the Sun. The margin is the lag in minutes (``-1`` when the
    conjunction comes after sunset)."""
    if ev.age <= 0:
        return min(ev.lag, -1.0)
    return ev.lag


def umm_al_qura(ev: Evening) -> bool:
    """Whether the next day is the 1st under the Umm al-Qura rule."""
    return umm_al_qura_margin(ev) > 0


def mabims(ev: Evening) -> bool:
    """Whether MABIMS 2021 holds on this evening."""
    return _moon_up(ev) and mabims_margin(ev) >= 0


def istanbul(ev: Evening) -> bool:
    """Whether the 5°/8° rule holds on this evening."""
    return _moon_up(ev) and istanbul_margin(ev) >= 0


def yallop_margin(ev: Evening) -> float:
    """Yallop's q relative to zone B's floor (visible under perfect conditions)."""
    if not _moon_up(ev):
        return -1.0
    return yallop_q(ev) - YALLOP_ZONES[1][1]


def odeh_margin(ev: Evening) -> float:
    """Odeh's V relative to zone B's floor (visible with optical aid), degrees."""
    if not _moon_up(ev):
        return -10.0
    return odeh_v(ev) - ODEH_ZONES[1][1]


MARGINS = {
    "umm_al_qura": umm_al_qura_margin,
    "mabims": mabims_margin,
    "mabims_1995": mabims_1995_margin,
    "istanbul": istanbul_margin,
    "yallop": yallop_margin,
    "odeh": odeh_margin,
}
