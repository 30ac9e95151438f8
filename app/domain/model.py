"""The domain's shared vocabulary: plain, immutable values passed between the pure modules.

Everything here is standard library only. Instants are timezone-aware ``datetime`` values;
calendar days are ``date`` values; durations are ``timedelta``. Nothing here reads a clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo


class Occasion(StrEnum):
    RAMADAN = "ramadan"
    EID_AL_FITR = "eid_al_fitr"
    ARAFAH = "arafah"
    EID_AL_ADHA = "eid_al_adha"
    ISLAMIC_NEW_YEAR = "islamic_new_year"
    ASHURA = "ashura"
    MAWLID = "mawlid"
    NATIONAL = "national"
    CUSTOM = "custom"


class Situation(StrEnum):
    """Which reply is sent: one default wording (and owner template) per situation."""

    OFF = "off"
    REDUCED = "reduced"
    OUTSIDE_HOURS = "outside_hours"
    ADVANCE_NOTICE = "advance_notice"  # while available, ahead of an off window
    URGENT = "urgent"  # replaces off / reduced / outside_hours for an urgent message
    CORRECTION = "correction"  # a confirmation moved a window clients were told about
    BACK = "back"  # to the clients who wrote during a break, once the owner is back


class Suppression(StrEnum):
    """Why a reply is not sent. The channel's reasons (RFC 3834 for email) come first."""

    AUTO_SUBMITTED = "auto_submitted"  # software wrote it: auto-replies, bounces, reports
    BULK = "bulk"
    LIST = "list"
    OWN_MESSAGE = "own_message"  # sent by one of the owner's own addresses
    NOT_ADDRESSED = "not_addressed"  # the owner is in neither To nor Cc
    OPTED_OUT = "opted_out"
    OWNER_ACTIVE = "owner_active"  # the owner is answering this conversation in person
    THROTTLED = "throttled"
    # Part of the API's documented vocabulary; a repeated delivery is answered from its
    # first event today (``duplicate`` flag), so the decision never produces it.
    DUPLICATE = "duplicate"


class WindowKind(StrEnum):
    OFF = "off"
    REDUCED = "reduced"


class Status(StrEnum):
    AVAILABLE = "available"
    OUTSIDE_HOURS = "outside_hours"
    REDUCED = "reduced"
    OFF = "off"


class DateSource(StrEnum):
    """Where a calendar date came from, strongest first."""

    CONFIRMED = "confirmed"  # an operator recorded the announcement
    OBSERVED = "observed"  # the date as it actually happened in that country
    PUBLISHED = "published"  # fixed years ahead by the country's authority (Turkey's Diyanet)
    PREDICTED = "predicted"  # the crescent model and the country's practice


class WindowSource(StrEnum):
    MANUAL = "manual"
    RULE = "rule"
    COUNTRY = "country"


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index == date.weekday()


@dataclass(frozen=True, slots=True)
class DailyInterval:
    """A span of the day in local time. ``end <= start`` means it runs past midnight."""

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """The weekly schedule: weekday index (0 = Monday) -> intervals starting that day."""

    days: tuple[tuple[DailyInterval, ...], ...]  # exactly 7 entries

    def on(self, weekday: int) -> tuple[DailyInterval, ...]:
        return self.days[weekday]


@dataclass(frozen=True, slots=True)
class Window:
    """A concrete period ``[starts_at, ends_at)`` when the owner is off or on reduced hours.

    ``reply_slots`` are times of day (owner's timezone) when the owner answers during a
    ``reduced`` window; empty means "the usual working hours". ``response_time`` overrides
    the owner's usual response time inside this window. ``earliest_*``/``latest_*`` bound
    where a tentative window's edges can still move; ``move_chance`` is the chance (0–1)
    that the sighting moves its end off the planned, likeliest day (None: not quantified,
    e.g. a government's published estimate).
    """

    id: str
    kind: WindowKind
    starts_at: datetime
    ends_at: datetime
    source: WindowSource = WindowSource.MANUAL
    occasion: str | None = None
    title: dict[str, str] = field(default_factory=dict)
    tentative: bool = False
    earliest_start: datetime | None = None
    latest_start: datetime | None = None
    earliest_end: datetime | None = None
    latest_end: datetime | None = None
    move_chance: float | None = None
    reply_slots: tuple[DailyInterval, ...] = ()
    response_time: timedelta | None = None
    notice_days: int = 7


@dataclass(frozen=True, slots=True)
class Policy:
    """Everything that decides when an owner works."""

    timezone: ZoneInfo
    working_hours: WorkingHours
    response_time: timedelta
    windows: tuple[Window, ...] = ()


@dataclass(frozen=True, slots=True)
class Candidate:
    """One possible first day of a Hijri month, with its probability (0–1)."""

    date: dt.date
    probability: float


@dataclass(frozen=True, slots=True)
class Prediction:
    """What the crescent model and the country's practice expect, without observed or
    confirmed dates: the candidates (probabilities summing to 1, by date), the most likely
    ``date``, and ``earliest``/``latest`` spanning the candidates with a real chance."""

    date: dt.date
    earliest: dt.date
    latest: dt.date
    candidates: tuple[Candidate, ...]
    method: str

    def shifted(self, days: int) -> Prediction:
        """The same prediction for a day ``days`` after the month's first (e.g. Eid al-Adha
        is the 10th)."""
        delta = dt.timedelta(days=days)
        return Prediction(self.date + delta, self.earliest + delta, self.latest + delta,
                          tuple(Candidate(c.date + delta, c.probability)
                                for c in self.candidates), self.method)


@dataclass(frozen=True, slots=True)
class OccasionDate:
    """One occurrence of an occasion in one country, with its uncertainty."""

    occasion: str
    hijri_year: int | None
    # ``dt.date``: the field named ``date`` hides the type inside the class body.
    date: dt.date
    hijri_date: str | None  # "YYYY-MM-DD" in the Hijri calendar
    name: dict[str, str]
    tentative: bool
    earliest: dt.date
    latest: dt.date
    source: DateSource
    confirmed_by: str | None = None
    holiday_first_day: dt.date | None = None
    holiday_last_day: dt.date | None = None
    end_date: dt.date | None = None  # last day, for multi-day occasions such as Ramadan
    # The model's own answer, beside the date in force (which may be observed or confirmed).
    predicted: Prediction | None = None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One message from a client, from the webhook (or the API) to the decision.

    A channel's ``parse`` fills in what its platform says; the API's evaluate fills in what
    the caller knows (``language``, ``tone``). ``reply_context`` is what the channel needs to
    answer in the same conversation; ``suppressed`` is the channel's own "do not answer"
    (RFC 3834 for email), decided before the decision runs.
    """

    platform: str
    address: str  # how to reach the sender on this platform (chat id, phone, email)
    text: str
    received_at: datetime
    dedupe_key: str | None = None  # the platform's own id for this delivery
    name: str | None = None
    language: str | None = None  # the caller's word on the client's language (API)
    tone: str | None = None
    language_hint: str | None = None  # the platform's hint, e.g. Telegram's language_code
    subject: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # email headers, lower-cased
    # Free-form by design: each platform keeps its own keys (chat id, thread, message id).
    reply_context: Mapping[str, Any] = field(default_factory=dict)
    suppressed: Suppression | None = None
    from_owner: bool = False  # the owner's own message: counts as activity, never answered
