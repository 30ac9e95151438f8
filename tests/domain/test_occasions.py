from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import countries, hijri, occasions
from app.domain.model import DateSource

TODAY = date(2026, 11, 23)
COUNTRIES = countries.supported_countries()
years = st.integers(hijri.HIJRI_MIN_YEAR, hijri.HIJRI_MAX_YEAR)
country_codes = st.sampled_from(COUNTRIES)
some_day = st.dates(date(1925, 1, 1), date(2076, 12, 31))

# Umm al-Qura (country `none`): 1 Ramadan, 1 Shawwal, 10 Dhu al-Hijjah.
UMM_AL_QURA = {
    1446: (date(2025, 3, 1), date(2025, 3, 30), date(2025, 6, 6)),
    1447: (date(2026, 2, 18), date(2026, 3, 20), date(2026, 5, 27)),
    1448: (date(2027, 2, 8), date(2027, 3, 9), date(2027, 5, 16)),
    1449: (date(2028, 1, 28), date(2028, 2, 26), date(2028, 5, 5)),
    1450: (date(2029, 1, 16), date(2029, 2, 14), date(2029, 4, 24)),
}


@pytest.mark.parametrize("hijri_year", sorted(UMM_AL_QURA))
def test_umm_al_qura_predictions(hijri_year: int) -> None:
    ramadan, fitr, adha = UMM_AL_QURA[hijri_year]
    early = date(2000, 1, 1)  # everything is in the future: predictions, not settled days
    got = occasions.occurrences("none", hijri_year, today=early)
    assert (got["ramadan"].date, got["eid_al_fitr"].date, got["eid_al_adha"].date) == (
        ramadan, fitr, adha)
    assert got["ramadan"].end_date == fitr - timedelta(days=1)
    assert got["arafah"].date == adha - timedelta(days=1)
    assert all(o.source is DateSource.PREDICTED for o in got.values())
    assert got["eid_al_fitr"].tentative is True
    assert (got["eid_al_fitr"].earliest, got["eid_al_fitr"].latest) == (
        fitr - timedelta(days=1), fitr + timedelta(days=1))


def test_spec_example_saudi_eid_al_fitr_1448() -> None:
    found = occasions.occurrence("sa", "eid_al_fitr", 1448, today=date(2027, 1, 1))
    assert found.date == date(2027, 3, 9)
    assert found.hijri_date == "1448-10-01"
    assert found.name == {"ar": "عيد الفطر", "en": "Eid al-Fitr"}
    assert (found.tentative, found.earliest, found.latest) == (
        True, date(2027, 3, 9), date(2027, 3, 10))
    assert found.confirmed_by is None
    # the day after 29 Ramadan (8 March), four days
    assert (found.holiday_first_day, found.holiday_last_day) == (
        date(2027, 3, 9), date(2027, 3, 12))


def test_saudi_fitr_holiday_starts_on_30_ramadan_when_ramadan_has_30_days() -> None:
    # 1445: Ramadan began 11 March 2024 and had 30 days; Eid 10 April.
    found = occasions.occurrence("SA", "eid_al_fitr", 1445, today=TODAY)
    assert found.date == date(2024, 4, 10)
    assert (found.holiday_first_day, found.holiday_last_day) == (
        date(2024, 4, 9), date(2024, 4, 12))


def test_hijri_date_strings() -> None:
    got = occasions.occurrences("SA", 1448, today=TODAY)
    assert {k: v.hijri_date for k, v in got.items()} == {
        "ramadan": "1448-09-01", "eid_al_fitr": "1448-10-01", "arafah": "1448-12-09",
        "eid_al_adha": "1448-12-10", "islamic_new_year": "1448-01-01",
        "ashura": "1448-01-10", "mawlid": "1448-03-12"}


def test_gregorian_year_with_two_eid_al_fitr() -> None:
    fitr = [o for o in occasions.occasions_for_year("none", 2033, today=TODAY)
            if o.occasion == "eid_al_fitr"]
    assert [(o.hijri_year, o.date) for o in fitr] == [
        (1454, date(2033, 1, 2)), (1455, date(2033, 12, 23))]


def test_holiday_span_crossing_new_year_is_in_both_years() -> None:
    def adha_1494(year: int) -> list:
        return [o for o in occasions.occasions_for_year("SA", year, today=TODAY)
                if o.occasion == "eid_al_adha" and o.hijri_year == 1494]

    (in_2071,), (in_2072,) = adha_1494(2071), adha_1494(2072)
    assert in_2071 == in_2072
    assert in_2071.date == date(2071, 12, 31)
    assert (in_2071.holiday_first_day, in_2071.holiday_last_day) == (
        date(2071, 12, 30), date(2072, 1, 2))


def test_occasions_for_year_sorted_and_complete() -> None:
    found = occasions.occasions_for_year("SA", 2027, today=TODAY)
    assert [o.date for o in found] == sorted(o.date for o in found)
    assert {o.occasion for o in found} == set(countries.ISLAMIC_OCCASIONS)


def test_turkey_eve_half_day_is_data() -> None:
    span = countries.country("TR").holiday_spans["eid_al_fitr"]
    assert span.eve_half_day_from is not None and span.eve_half_day_from.hour == 13


def test_national_holidays_exclude_the_islamic_occasions() -> None:
    found = occasions.national_holidays("SA", 2027, today=TODAY)
    names = [h.name["en"] for h in found]
    assert "National Day Holiday" in names
    assert not any(n.startswith(("Eid al-Fitr Holiday", "Eid al-Adha Holiday"))
                   and "observed" not in n for n in names)
    national = next(h for h in found if h.date == date(2027, 9, 23))
    assert national.name["ar"] == "اليوم الوطني" and national.tentative is False


def test_national_holidays_tentative_only_when_estimated_and_future() -> None:
    past = occasions.national_holidays("JO", 2025, today=TODAY)
    assert past and not any(h.tentative for h in past)
    future = occasions.national_holidays("JO", 2027, today=TODAY)
    isra = [h for h in future if "Mi'raj" in h.name["en"]]
    assert isra and all(h.tentative for h in isra)
    assert all(not h.tentative for h in future if h.name["en"] == "Independence Day")


def test_national_holidays_language_fallback_and_countries_without_library() -> None:
    turkey = occasions.national_holidays("TR", 2025, today=TODAY)
    assert turkey[0].name == {"ar": "Yılbaşı", "en": "New Year's Day"}  # no Arabic: Turkish
    assert occasions.national_holidays("none", 2025, today=TODAY) == []
    syria = occasions.national_holidays("SY", 2025, today=TODAY)
    assert date(2025, 4, 17) in {h.date for h in syria}


def test_a_day_with_two_holidays_keeps_each_name_with_its_own_translation() -> None:
    """The library sorts a day's names in each language apart: on Libya's 14 August 2027
    (the Prophet's Birthday and National Environmental Sanitation Day) the Arabic by
    position was the Prophet's Birthday's."""
    [sanitation] = [h for h in occasions.national_holidays("LY", 2027, today=TODAY)
                    if h.date == date(2027, 8, 14)]
    assert sanitation.name == {"en": "National Environmental Sanitation Day",
                               "ar": "يوم وطني للإصحاح البيئي"}


def _names_seen_alone(code: str, years: list[int]) -> dict[str, set[str]]:
    """English name → the Arabic names it has on the days it is the only holiday."""
    library = countries.country(code).holidays_code
    kind = type(holidays.country_holidays(library))
    languages = getattr(kind, "supported_languages", ())
    en = "en_US" if "en_US" in languages else kind.default_language
    ar = next((lang for lang in languages if lang.startswith("ar")), kind.default_language)
    by_en = holidays.country_holidays(library, years=years, language=en)
    by_ar = holidays.country_holidays(library, years=years, language=ar)
    seen: dict[str, set[str]] = {}
    for day, name in by_en.items():
        if "; " not in name and "; " not in by_ar[day]:
            seen.setdefault(name, set()).add(by_ar[day])
    return seen


@pytest.mark.parametrize("code", [c for c in COUNTRIES if countries.country(c).holidays_code])
def test_every_national_holiday_has_the_arabic_name_it_has_on_a_day_alone(code: str) -> None:
    seen = _names_seen_alone(code, list(range(2020, 2036)))
    checked = 0
    for year in range(2024, 2033):
        for found in occasions.national_holidays(code, year, today=TODAY):
            if found.name["en"] in seen:
                assert found.name["ar"] in seen[found.name["en"]], (year, found)
                checked += 1
    assert checked > 0


# ---- errors (422-worthy)


@pytest.mark.parametrize("year", [1900, 2100, 1924, 2077])
def test_year_out_of_range(year: int) -> None:
    with pytest.raises(hijri.OutOfRange) as info:
        occasions.occasions_for_year("SA", year, today=TODAY)
    assert "1343–1500 AH" in str(info.value) and "1925–2076" in str(info.value)
    with pytest.raises(hijri.OutOfRange):
        occasions.national_holidays("SA", year, today=TODAY)


@pytest.mark.parametrize("hijri_year", [1342, 1501])
def test_hijri_year_out_of_range(hijri_year: int) -> None:
    with pytest.raises(hijri.OutOfRange, match="1343–1500"):
        occasions.occurrence("SA", "eid_al_fitr", hijri_year, today=TODAY)


def test_unknown_country_lists_supported_codes() -> None:
    with pytest.raises(countries.UnknownCountry) as info:
        occasions.occasions_for_year("XX", 2027, today=TODAY)
    assert info.value.supported == COUNTRIES
    assert "SA" in str(info.value) and "none" in str(info.value)
    assert isinstance(info.value, LookupError)


def test_unknown_occasion() -> None:
    with pytest.raises(ValueError, match="occasion"):
        occasions.occurrence("SA", "christmas", 1448, today=TODAY)


def test_country_codes_are_case_insensitive() -> None:
    assert countries.country("sa").code == "SA"
    assert countries.country("NONE").code == "none"
    assert countries.country("none").weekend == ("sat", "sun")
    assert countries.country("SA").weekend == ("fri", "sat")


# ---- properties


@settings(max_examples=300, deadline=None)
@given(country_codes, years)
def test_ramadan_has_29_or_30_days(country: str, hijri_year: int) -> None:
    ramadan = occasions.occurrence(country, "ramadan", hijri_year, today=TODAY)
    assert ramadan.end_date is not None
    assert (ramadan.end_date - ramadan.date).days + 1 in (29, 30)


@settings(max_examples=300, deadline=None)
@given(country_codes, years, some_day)
def test_range_holds_the_date_and_past_is_settled(country: str, hijri_year: int,
                                                   today: date) -> None:
    for item in occasions.occurrences(country, hijri_year, today=today).values():
        assert item.earliest <= item.date <= item.latest
        if item.date < today:
            assert item.tentative is False
        if not item.tentative:
            assert item.earliest == item.latest == item.date
        if item.holiday_first_day is not None:
            assert item.holiday_first_day <= item.holiday_last_day


@settings(max_examples=200, deadline=None)
@given(country_codes, years)
def test_eid_al_adha_is_10_dhu_al_hijjah(country: str, hijri_year: int) -> None:
    adha = occasions.occurrence(country, "eid_al_adha", hijri_year, today=TODAY)
    arafah = occasions.occurrence(country, "arafah", hijri_year, today=TODAY)
    assert adha.hijri_date.endswith("-12-10")
    assert adha.hijri_date == f"{hijri_year:04d}-12-10"
    assert arafah.date == adha.date - timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(country_codes, years, st.sampled_from(countries.ISLAMIC_OCCASIONS),
       st.integers(-2, 2), some_day)
def test_confirmation_wins(country: str, hijri_year: int, occasion: str, shift: int,
                           today: date) -> None:
    predicted = occasions.occurrence(country, occasion, hijri_year, today=today)
    announced = predicted.date + timedelta(days=shift)
    confirmed = occasions.occurrence(country, occasion, hijri_year, today=today,
                                     confirmations={(occasion, hijri_year): announced})
    assert confirmed.date == announced
    assert confirmed.tentative is False
    assert confirmed.source is DateSource.CONFIRMED
    assert confirmed.confirmed_by == "operator"
    assert confirmed.earliest == confirmed.latest == announced


def test_confirmation_for_another_year_changes_nothing() -> None:
    base = occasions.occurrence("SA", "eid_al_fitr", 1448, today=TODAY)
    other = occasions.occurrence("SA", "eid_al_fitr", 1448, today=TODAY,
                                 confirmations={("eid_al_fitr", 1449): date(2028, 2, 27)})
    assert base == other


def test_confirmed_ramadan_narrows_eid_and_confirmed_eid_fixes_ramadan() -> None:
    start = date(2027, 2, 9)  # a day after the Umm al-Qura 1 Ramadan 1448
    got = occasions.occurrences("SA", 1448, today=TODAY,
                                confirmations={("ramadan", 1448): start})
    fitr = got["eid_al_fitr"]
    assert start + timedelta(days=29) <= fitr.earliest <= fitr.date <= fitr.latest
    assert fitr.latest <= start + timedelta(days=30)
    eid = date(2027, 3, 10)
    got = occasions.occurrences("SA", 1448, today=TODAY,
                                confirmations={("eid_al_fitr", 1448): eid})
    assert got["ramadan"].end_date == eid - timedelta(days=1)
    assert (eid - got["ramadan"].date).days in (29, 30)


def test_confirmed_arafah_moves_eid_al_adha() -> None:
    got = occasions.occurrences("SA", 1448, today=TODAY,
                                confirmations={("arafah", 1448): date(2027, 5, 16)})
    assert got["eid_al_adha"].date == date(2027, 5, 17)
    assert got["eid_al_adha"].source is DateSource.CONFIRMED


def test_predicted_today_is_still_tentative_but_yesterday_is_not() -> None:
    eid = date(2027, 3, 9)
    assert occasions.occurrence("SA", "eid_al_fitr", 1448, today=eid).tentative is True
    assert occasions.occurrence("SA", "eid_al_fitr", 1448,
                                today=eid + timedelta(days=1)).tentative is False


def test_config_dir_override(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    folder = tmp_path / "countries"
    folder.mkdir()
    (folder / "xx.toml").write_text(
        'code = "XX"\nname = { ar = "س", en = "X" }\nweekend = ["sat", "sun"]\n'
        '[holiday.eid_al_fitr]\nstart = "10-01"\nend = "10-02"\n', encoding="utf-8")
    assert countries.supported_countries(tmp_path) == ["XX"]
    profile = countries.country("xx", tmp_path)
    assert list(profile.holiday_spans) == ["eid_al_fitr"]
    monkeypatch.setenv("IJAZA_CONFIG_DIR", str(tmp_path))
    assert countries.supported_countries() == ["XX"]
    monkeypatch.delenv("IJAZA_CONFIG_DIR")
    assert "SA" in countries.supported_countries()


def test_bad_country_file_names_the_field(tmp_path) -> None:  # noqa: ANN001
    folder = tmp_path / "countries"
    folder.mkdir()
    (folder / "xx.toml").write_text(
        'code = "XX"\nname = { ar = "س", en = "X" }\nweekend = ["friday"]\n', encoding="utf-8")
    with pytest.raises(countries.CountryDataError, match="xx.toml: weekend"):
        countries.supported_countries(tmp_path)
