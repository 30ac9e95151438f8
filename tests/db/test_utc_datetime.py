"""The instant column type: stored as UTC, read back timezone-aware, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from app.db import UTCDateTime, session_scope
from app.decisions.models import OwnerActivity

ZONES = [UTC, ZoneInfo("Asia/Riyadh"), ZoneInfo("America/New_York"),
         ZoneInfo("Asia/Kolkata"), timezone(timedelta(hours=-3, minutes=-30))]
aware = st.builds(lambda naive, tz, fold: naive.replace(tzinfo=tz, fold=fold),
                  st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30)),
                  st.sampled_from(ZONES), st.sampled_from((0, 1)))


@settings(max_examples=300, deadline=None)
@given(aware)
def test_sqlite_text_is_what_sqlalchemys_own_processor_writes(value: datetime) -> None:
    # The fused binder must keep the stored text byte for byte: comparisons and indexes on
    # SQLite compare these strings.
    dialect = sqlite.dialect()
    fused = UTCDateTime().bind_processor(dialect)
    own = sqlite.DATETIME().bind_processor(dialect)
    assert fused(value) == own(value.astimezone(UTC).replace(tzinfo=None))
    assert fused(None) is None
    # The text is remembered per instant: the same instant seen in another zone (a cache
    # hit) still gives its own UTC text, and the naive twin of a remembered one raises.
    for zone in ZONES:
        try:
            other = value.astimezone(zone)
        except OverflowError:
            continue
        assert fused(other) == own(other.astimezone(UTC).replace(tzinfo=None))
    with pytest.raises(ValueError, match="naive"):
        fused(value.replace(tzinfo=None))


def test_the_two_instants_of_an_ambiguous_local_time_keep_their_own_text() -> None:
    # 01:30 happens twice in New York on 1 November 2026; the two compare equal (same zone,
    # fold ignored) but are an hour apart.
    fused = UTCDateTime().bind_processor(sqlite.dialect())
    first = datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    assert fused(first) == "2026-11-01 05:30:00.000000"
    assert fused(first.replace(fold=1)) == "2026-11-01 06:30:00.000000"


def test_a_naive_instant_is_refused() -> None:
    fused = UTCDateTime().bind_processor(sqlite.dialect())
    with pytest.raises(ValueError, match="naive"):
        fused(datetime(2027, 3, 10, 9))


def test_instants_round_trip_as_utc(sessions, owner) -> None:  # noqa: ANN001
    riyadh = datetime(2027, 3, 10, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Riyadh"))
    with session_scope(sessions) as session:
        session.add(OwnerActivity(owner_id=owner["id"], client_key=None, at=riyadh,
                                  until=riyadh + timedelta(minutes=10)))
    with session_scope(sessions) as session:
        at, until = session.execute(select(OwnerActivity.at, OwnerActivity.until)
                                    .where(OwnerActivity.owner_id == owner["id"])).one()
        found = session.scalar(select(OwnerActivity.id).where(OwnerActivity.at < riyadh
                                                              + timedelta(microseconds=1),
                                                              OwnerActivity.at >= riyadh))
    assert at == riyadh and at.tzinfo == UTC and at.hour == 6
    assert until - at == timedelta(minutes=10)
    assert found is not None
