"""When to try a failed send again: capped exponential backoff with full jitter, and the
platform's own ``Retry-After`` when it gives one."""

from __future__ import annotations

import math
import random
from datetime import timedelta

BASE = timedelta(seconds=2)
CAP = timedelta(hours=1)


def next_delay(attempt: int, *, retry_after: float | None = None,
               rng: random.Random | None = None, base: timedelta = BASE,
               cap: timedelta = CAP) -> timedelta:
    """Delay before attempt ``attempt + 1`` (``attempt`` counts from 1, the one that failed).

    Full jitter (a uniform draw in [exp/2, exp]) keeps many failed rows from retrying in
    lockstep. ``retry_after`` (seconds, from a 429) is a floor: never retry earlier than
    the platform asked, even if that exceeds the cap.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    draw = (rng or random).random()
    exp = min(cap.total_seconds(), base.total_seconds() * (2 ** (attempt - 1)))
    delay = exp / 2 + draw * exp / 2
    if retry_after is not None and retry_after > 0:
        delay = max(delay, retry_after)
    # Round up to the microsecond, so a Retry-After floor is never undercut by rounding.
    return timedelta(microseconds=math.ceil(delay * 1_000_000))
