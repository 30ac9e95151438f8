from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import hijri


@pytest.mark.parametrize(("gregorian", "expected"), [
    (date(1924, 8, 1), (1343, 1, 1)),  # first day of the tables
    (date(2077, 11, 16), (1500, 12, 30)),  # last day of the tables
    (date(2025, 3, 1), (1446, 9, 1)),  # 1 Ramadan 1446
    (date(2027, 3, 9), (1448, 10, 1)),  # 1 Shawwal 1448
])
def test_to_hijri(gregorian: date, expected: tuple[int, int, int]) -> None:
    assert hijri.to_hijri(gregorian) == expected
    assert hijri.to_gregorian(*expected) == gregorian


@pytest.mark.parametrize("outside", [date(1924, 7, 31), date(2077, 11, 17), date(1900, 1, 1)])
def test_to_hijri_out_of_range(outside: date) -> None:
    with pytest.raises(hijri.OutOfRange, match="1343–1500 AH"):
        hijri.to_hijri(outside)


@pytest.mark.parametrize("year", [1342, 1501])
def test_to_gregorian_out_of_range(year: int) -> None:
    with pytest.raises(hijri.OutOfRange) as info:
        hijri.to_gregorian(year, 1, 1)
    assert "1924-08-01" in str(info.value) and "2077-11-16" in str(info.value)


def test_bad_month_or_day_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        hijri.to_gregorian(1446, 13, 1)
    with pytest.raises(ValueError):
        hijri.to_gregorian(1446, 9, 31)


@pytest.mark.parametrize(("year", "ok"), [
    (1924, False), (1925, True), (2076, True), (2077, False), (1900, False), (2100, False)])
def test_check_gregorian_year_whole_years_only(year: int, ok: bool) -> None:
    if ok:
        hijri.check_gregorian_year(year)
    else:
        with pytest.raises(hijri.OutOfRange, match="1925–2076"):
            hijri.check_gregorian_year(year)


def test_out_of_range_is_a_value_error() -> None:
    assert issubclass(hijri.OutOfRange, ValueError)


def test_month_names() -> None:
    assert hijri.month_name(9, "ar") == "رمضان"
    assert hijri.month_name(12) == "Dhu al-Hijjah"
    with pytest.raises(ValueError):
        hijri.month_name(0)


@given(st.integers(hijri.HIJRI_MIN_YEAR, hijri.HIJRI_MAX_YEAR), st.integers(1, 12))
def test_month_length_and_round_trip(year: int, month: int) -> None:
    length = hijri.month_length(year, month)
    assert length in (29, 30) or ((year, month) in hijri.IRREGULAR_MONTHS and length in (28, 31))
    first = hijri.to_gregorian(year, month, 1)
    last = hijri.to_gregorian(year, month, length)
    assert (last - first).days == length - 1
    assert hijri.to_hijri(last) == (year, month, length)


@given(st.dates(hijri.GREGORIAN_MIN_DATE, hijri.GREGORIAN_MAX_DATE))
def test_round_trip_from_gregorian(day: date) -> None:
    assert hijri.to_gregorian(*hijri.to_hijri(day)) == day
