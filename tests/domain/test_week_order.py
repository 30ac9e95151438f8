"""The week as a country reads it (the console and the public page list days this way)."""

from __future__ import annotations

import pytest

from app.domain.hours import week_from_first_working_day


@pytest.mark.parametrize(("weekend", "week"), [
    (("fri", "sat"), ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),  # SA, EG, JO …
    (("sat", "sun"), ("mon", "tue", "wed", "thu", "fri", "sat", "sun")),  # AE, MA, TR …
    (("fri",), ("sat", "sun", "mon", "tue", "wed", "thu", "fri")),       # a Friday-only weekend
    ((), ("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
])
def test_the_week_starts_the_day_after_the_weekend(weekend: tuple[str, ...],
                                                   week: tuple[str, ...]) -> None:
    assert week_from_first_working_day(weekend) == week
