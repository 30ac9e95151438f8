"""How the console writes weeks, months and isolated values (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from app.admin.endpoints import _hijri_months, week_of
from app.admin.web import bdi, ltr, weekday_name


@pytest.mark.parametrize(("country", "first", "last"), [
    ("SA", "sun", "sat"),   # Friday–Saturday weekend
    ("EG", "sun", "sat"),
    ("AE", "mon", "sun"),   # Saturday–Sunday since 2022
    ("none", "mon", "sun"),
])
def test_the_week_starts_after_the_countrys_weekend(country: str, first: str, last: str) -> None:
    week = week_of(country)
    assert (week[0], week[-1]) == (first, last) and len(set(week)) == 7


@pytest.mark.parametrize(("month", "language", "expected"), [
    (date(2027, 2, 1), "en", "Sha'ban – Ramadan 1448"),
    (date(2027, 6, 1), "en", "Dhu al-Hijjah 1448 – Muharram 1449"),
    (date(2027, 2, 1), "ar", "شعبان – رمضان 1448"),
])
def test_a_gregorian_month_names_its_hijri_months(month: date, language: str, expected: str) -> None:
    last = date(month.year, month.month + 1, 1).toordinal() - 1
    assert _hijri_months(month, date.fromordinal(last), language) == expected


def test_values_are_isolated_and_escaped() -> None:
    assert str(ltr("+966 50 <b>")) == '<bdi dir="ltr">+966 50 &lt;b&gt;</bdi>'
    assert str(bdi("Omar")) == "<bdi>Omar</bdi>" and str(ltr(None)) == ""


def test_weekdays_come_from_babel() -> None:
    assert weekday_name("fri", "ar") == "الجمعة" and weekday_name("sun", "en") == "Sunday"
