"""The other possible day is spoken only when it has a real chance (``when.SPOKEN_CHANCE``)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import hours, occasions, rendering, rules, when
from app.domain.model import DateSource, Policy, Window, WindowKind

RIYADH = ZoneInfo("Asia/Riyadh")
EVERY_DAY = hours.parse_working_hours(
    {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
AT = datetime(2027, 3, 9, 10, tzinfo=RIYADH)


def eid_break(move_chance: float | None) -> Policy:
    """Off until Thursday 11 March 2027 (likely), or until Friday 12 if Eid is a day later."""
    window = Window(id="w", kind=WindowKind.OFF, occasion="eid_al_fitr",
                    title={"ar": "عيد الفطر", "en": "Eid al-Fitr"},
                    starts_at=datetime(2027, 3, 8, tzinfo=RIYADH),
                    ends_at=datetime(2027, 3, 11, tzinfo=RIYADH), tentative=True,
                    earliest_end=datetime(2027, 3, 11, tzinfo=RIYADH),
                    latest_end=datetime(2027, 3, 12, tzinfo=RIYADH), move_chance=move_chance)
    return Policy(timezone=RIYADH, working_hours=EVERY_DAY, response_time=timedelta(hours=4),
                  windows=(window,))


def reply(move_chance: float | None, language: str) -> str:
    expected = when.expect(eid_break(move_chance), AT)
    ctx = rendering.ReplyContext(
        language=language, tone="formal", owner_name="Nakhla", timezone=RIYADH,
        occasion="eid_al_fitr", occasion_title={"ar": "عيد الفطر", "en": "Eid al-Fitr"},
        back_at=expected.back_at, reply_by=expected.reply_by,
        tentative=expected.tentative, earliest_back=expected.earliest_back,
        latest_back=expected.latest_back, at=AT, status="off")
    return rendering.render_reply("off", ctx).text


def test_the_threshold_is_one_named_constant() -> None:
    assert when.SPOKEN_CHANCE == 0.2


@pytest.mark.parametrize(("chance", "spoken"), [
    (0.0, False), (0.05, False), (0.19, False),  # told the likely day alone
    (0.2, True), (0.45, True),
    (None, True),  # a published estimate: its range is kept
])
def test_the_other_day_is_spoken_from_a_real_chance(chance: float | None, spoken: bool) -> None:
    expected = when.expect(eid_break(chance), AT)
    assert expected.back_at == datetime(2027, 3, 11, 9, tzinfo=RIYADH)  # the likely day
    assert expected.tentative is True
    assert expected.range_matters is spoken
    if spoken:
        assert expected.latest_back == datetime(2027, 3, 12, 9, tzinfo=RIYADH)


def test_replies_say_likely_or_the_other_day_in_arabic_and_english() -> None:
    # "back on Thursday 11 March (likely, or Friday 12 March …)", Arabic first.
    ar, en = reply(0.3, "ar"), reply(0.3, "en")
    assert "الخميس 11 مارس" in ar and "(على الأرجح، أو الجمعة 12 مارس حسب رؤية الهلال)" in ar
    assert "Thursday 11 March" in en
    assert "(likely, or Friday 12 March, depending on the moon sighting)" in en
    # A small chance: the likely day alone, no hedging.
    ar, en = reply(0.1, "ar"), reply(0.1, "en")
    assert "الخميس 11 مارس" in ar and "الجمعة" not in ar and "الهلال" not in ar
    assert "Thursday 11 March" in en and "Friday" not in en and "moon" not in en


@given(st.floats(min_value=0, max_value=1, allow_nan=False))
def test_the_range_is_spoken_exactly_when_the_chance_is_real(chance: float) -> None:
    assert when.expect(eid_break(chance), AT).range_matters is (chance >= when.SPOKEN_CHANCE)


def test_an_occasion_knows_how_likely_its_day_is_to_move() -> None:
    # Saudi Eid al-Fitr 1448: Tuesday 9 March 2027 with about 0.90, Wednesday about 0.10.
    today = date(2026, 12, 1)
    fitr = occasions.occurrence("SA", "eid_al_fitr", 1448, today=today)
    assert fitr.source is DateSource.PREDICTED and fitr.predicted is not None
    likely = next(c.probability for c in fitr.predicted.candidates if c.date == fitr.date)
    assert occasions.move_chance(fitr) == pytest.approx(1 - likely, abs=1e-3)
    assert 0 < occasions.move_chance(fitr) < when.SPOKEN_CHANCE  # type: ignore[operator]
    past = occasions.occurrence("SA", "eid_al_fitr", 1446, today=today)
    assert occasions.move_chance(past) == 0.0
    # Malaysia's published 2027 date is an estimate the model does not price.
    published = occasions.occurrence("MY", "eid_al_fitr", 1448, today=today)
    assert published.source is DateSource.PREDICTED and published.tentative
    assert (occasions.move_chance(published) is None) is (
        published.predicted is None
        or all(c.date != published.date for c in published.predicted.candidates))


def test_a_rule_window_carries_the_chance_of_its_end() -> None:
    today = date(2026, 12, 1)

    def windows(country: str, zone: str, on: date) -> dict[str, Window]:
        made = rules.materialise(rules.default_rules(country), country=country,
                                 tz=ZoneInfo(zone), start=date(2027, 1, 1),
                                 end=date(2027, 12, 31), today=on)
        return {m.window.occasion or "": m.window for m in made}

    # Egypt's Eid al-Fitr 1448: Saudi Arabia's day unless the crescent is unseen at home —
    # a real chance of the later day, so the range is spoken.
    egypt = windows("EG", "Africa/Cairo", today)["eid_al_fitr"]
    fitr = occasions.occurrence("EG", "eid_al_fitr", 1448, today=today)
    assert egypt.move_chance == occasions.move_chance(fitr)
    assert egypt.move_chance is not None and egypt.move_chance >= when.SPOKEN_CHANCE
    assert egypt.earliest_end != egypt.latest_end
    # Qatar's Eid al-Fitr 1448 (Saudi Arabia's day): a range with a small chance — planned
    # and told on the likely day.
    saudi = windows("QA", "Asia/Qatar", today)["eid_al_fitr"]
    assert saudi.earliest_end != saudi.latest_end
    assert saudi.move_chance is not None and 0 < saudi.move_chance < when.SPOKEN_CHANCE
    policy = Policy(timezone=ZoneInfo("Asia/Qatar"), working_hours=EVERY_DAY,
                    response_time=timedelta(hours=4), windows=(saudi,))
    assert when.expect(policy, saudi.starts_at + timedelta(hours=10)).range_matters is False
    # Once the year has passed nothing moves.
    assert all(w.move_chance == 0.0 for w in windows("SA", "Asia/Riyadh",
                                                     date(2028, 1, 1)).values())


def test_a_window_without_a_chance_keeps_the_old_behaviour() -> None:
    # Windows from before the column (move_chance None) still speak their range.
    policy = eid_break(None)
    old = dataclasses.replace(policy.windows[0])
    assert old.move_chance is None and when.expect(policy, AT).range_matters
