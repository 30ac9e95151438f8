"""When to try a failed send again: capped exponential backoff with full jitter, and the
platform's own ``Retry-After`` when it gives one."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

BASE = timedelta(seconds=2)
CAP = timedelta(hours=1)
# The longest wait a platform may ask for (``Retry-After``), unless the caller says otherwise.
RETRY_AFTER_CAP = timedelta(hours=1)


def next_delay(attempt: int, *, retry_after: float | None = None,
               rng: random.Random | None = None, base: timedelta = BASE,
               cap: timedelta = CAP, retry_after_cap: timedelta = RETRY_AFTER_CAP) -> timedelta:
    """Delay before attempt ``attempt + 1`` (``attempt`` counts from 1, the one that failed).

    Full jitter (a uniform draw in [exp/2, exp]) keeps many failed rows from retrying in
    lockstep. ``retry_after`` (seconds, from a 429) is a floor: never retry earlier than
    the platform asked, even if that exceeds the cap — but never later than
    ``retry_after_cap`` (a platform, or something posing as one, cannot park a row for ever).
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    draw = (rng or random).random()
    exp = min(cap.total_seconds(), base.total_seconds() * (2 ** (attempt - 1)))
    delay = exp / 2 + draw * exp / 2
    if retry_after is not None and retry_after > 0:  # NaN compares False: ignored
        delay = max(delay, min(retry_after, retry_after_cap.total_seconds()))
    # Round up to the microsecond, so a Retry-After floor is never undercut by rounding.
    return timedelta(microseconds=math.ceil(delay * 1_000_000))


def retry_after_seconds(value: object, *, now: datetime) -> float | None:
    """The wait a ``Retry-After`` value asks for, in seconds (RFC 9110 §10.2.3: a number of
    seconds, or an HTTP date compared with ``now``, timezone-aware), or None when it is
    not one (``"soon"``, ``inf``, ``NaN``, negative, a date in the past is 0).

    Also reads platforms' JSON numbers (Telegram's ``retry_after``); never raises.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            try:
                when = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                return None
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, (when - now).total_seconds())
    else:
        return None
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds
