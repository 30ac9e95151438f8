import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.retry import CAP, RETRY_AFTER_CAP, next_delay


def test_grows_exponentially_with_jitter_inside_bounds() -> None:
    rng = random.Random(7)
    for attempt, (lo, hi) in enumerate([(1, 2), (2, 4), (4, 8), (8, 16)], start=1):
        delay = next_delay(attempt, rng=rng).total_seconds()
        assert lo <= delay <= hi


def test_capped_at_one_hour() -> None:
    assert next_delay(40, rng=random.Random(1)) <= CAP


def test_retry_after_is_a_floor() -> None:
    assert next_delay(1, retry_after=30, rng=random.Random(1)) == timedelta(seconds=30)


def test_attempt_counts_from_one() -> None:
    with pytest.raises(ValueError):
        next_delay(0)


@given(st.integers(min_value=1, max_value=60), st.floats(min_value=0, max_value=1, exclude_max=True),
       st.one_of(st.none(), st.floats(min_value=0, max_value=86400)))
def test_never_negative_never_below_retry_after(attempt: int, draw: float, retry_after) -> None:
    class Fixed(random.Random):
        def random(self) -> float:
            return draw

    delay = next_delay(attempt, retry_after=retry_after, rng=Fixed()).total_seconds()
    assert delay > 0
    if retry_after:
        assert delay >= min(retry_after, RETRY_AFTER_CAP.total_seconds())
    else:
        assert delay <= CAP.total_seconds()
