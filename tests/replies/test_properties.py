"""Hypothesis over titles, names (with bidi and zero-width characters) and instants: every
default reply keeps its properties, whatever it is given."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain import rendering, text
from tests.replies.properties import check

TRICKY = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c",
          "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff", "\u061c",
          "(", ")", "«", "»", " ", "\n", "\t"]
pieces = st.one_of(st.sampled_from(TRICKY),
                   st.sampled_from(["أمينة", "Amina", "إجازة", "break", "Eid", "عيد", "hours",
                                    "ساعات", "O'Neil", "+966 50 000 0000", "a@b.co",
                                    "https://x.example/p"]),
                   st.text(alphabet=st.characters(codec="utf-8",
                                                  exclude_categories=("Cs",)), max_size=6))
# No four-digit runs: a year in a client's own name is theirs, not a date the reply wrote.
names = st.one_of(st.none(), st.lists(pieces, max_size=8).map("".join).filter(
    lambda value: not re.search(r"\d{4}", value)))
zones = st.sampled_from([ZoneInfo("Asia/Riyadh"), ZoneInfo("Africa/Cairo"),
                         ZoneInfo("Africa/Casablanca")])


@settings(max_examples=300, deadline=None)
@given(name=names, title=names, owner=names.filter(bool),
       at=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31),
                       timezones=st.just(UTC)),
       gap=st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=20)),
       language=st.sampled_from(rendering.LANGUAGES), tone=st.sampled_from(rendering.TONES),
       channel=st.sampled_from(rendering.CHANNEL_KINDS),
       situation=st.sampled_from(rendering.SITUATIONS),
       status=st.sampled_from(["off", "reduced", "outside_hours", "available"]),
       occasion=st.sampled_from(["eid_al_adha", "eid_al_fitr", "ramadan", "national", None]),
       ranged=st.booleans(), zone=zones)
def test_every_default_reply_keeps_its_properties(
        name: str | None, title: str | None, owner: str, at: datetime, gap: timedelta,
        language: str, tone: str, channel: str, situation: str, status: str,
        occasion: str | None, ranged: bool, zone: ZoneInfo) -> None:
    back = at + gap
    ctx = rendering.ReplyContext(
        language=language, tone=tone, owner_name=owner, timezone=zone, contact_name=name,
        occasion=occasion, occasion_title={language: title} if title else None,
        period_start=at - timedelta(days=1), period_end=back, back_at=back,
        reply_by=back + timedelta(hours=4), urgent_contact="Omar +20 100 123 4567",
        tentative=ranged, at=at, channel=channel, status=status,
        window_kind="reduced" if status == "reduced" else "off",
        earliest_back=back if ranged else None,
        latest_back=back + timedelta(days=1) if ranged else None,
        old_back_at=back - timedelta(days=1), variant_key=f"{name}:{title}")
    reply = rendering.render_reply(situation, ctx)
    check(reply, channel=channel, this_year=at.astimezone(zone).year, own_words_only=False,
          given=tuple(text.clean_name(v) for v in (name, title, owner) if v))
    cleaned = text.clean_name(name)
    if cleaned and channel == "email":  # the client's name, cleaned, in the greeting line
        assert cleaned in re.sub("[\u2066-\u2069]", "", reply.text.split("\n")[0])


@settings(max_examples=300, deadline=None)
@given(names)
def test_names_lose_invisible_and_bidi_control_characters(name: str | None) -> None:
    cleaned = text.clean_name(name)
    assert not any(ch in cleaned for ch in TRICKY if ch not in "()«» ")
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert text.clean_name(cleaned) == cleaned


@settings(max_examples=300, deadline=None)
@given(names, st.sampled_from(["ar", "en"]))
def test_isolating_is_idempotent_and_balanced(value: str | None, language: str) -> None:
    once = text.isolate(text.clean_name(value), language)
    assert text.isolate(once, language) == once
    assert once.count(text.PDI) == sum(once.count(m) for m in (text.LRI, text.RLI, text.FSI))


@given(st.text(max_size=30), st.text(max_size=30))
def test_join_words_never_doubles_the_boundary_word(left: str, right: str) -> None:
    joined = text.join_words(left, right).split()
    left_words = left.split()
    if left_words and right.split():
        boundary = len(left_words) - 1
        if boundary + 1 < len(joined):
            assert joined[boundary] != joined[boundary + 1] or (
                text.normalize(joined[boundary]) == "")
