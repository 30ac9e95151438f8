"""Computed windows for many owners at once: owners on their country's defaults share one
materialise per country and timezone; the windows stored (and the ones reported moved)
must be exactly what the per-owner computation gives each of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.country_calendar.models import Confirmation
from app.db import Base, session_scope
from app.domain import occasions
from app.owners.models import Owner
from app.rules.models import RuleRow
from app.windows.computed import horizon, rematerialise_many, rule_windows
from app.windows.models import WindowRow

TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PLACES = [("SA", "Asia/Riyadh"), ("SA", "Asia/Dubai"), ("SA", "Pacific/Kiritimati"),
          ("EG", "Africa/Cairo"), ("EG", "America/Los_Angeles"), ("AE", "Asia/Dubai")]
# An owner's own rule for Eid al-Fitr replaces the country's for that occasion only.
OWN_RULE = {"type": "days", "before": 1, "after": 2}
COMPARED = [c.key for c in WindowRow.__table__.columns if c.key not in ("created_at", "updated_at")]

owners_strategy = st.lists(st.tuples(st.sampled_from(PLACES), st.booleans()), min_size=1,
                           max_size=6)


def _owner(owner_id: str, country: str, timezone: str) -> Owner:
    return Owner(id=owner_id, name=owner_id, timezone=timezone, country=country,
                 languages=["en"], tone="formal", working_hours={}, response_time="PT4H",
                 reply_once_per="P4D", active_for="PT10M", notice_audience_days=60,
                 tell_when_back=False, created_at=NOW, updated_at=NOW)


def _stored(session) -> dict[str, tuple]:  # noqa: ANN001
    return {r.id: tuple(getattr(r, c) for c in COMPARED)
            for r in session.scalars(select(WindowRow))}


def _each_alone(session, owners: list[Owner]) -> dict[str, tuple]:  # noqa: ANN001
    start, end = horizon(TODAY)
    return {m.row.id: tuple(getattr(m.row, c) for c in COMPARED)
            for owner in owners for m in rule_windows(session, owner, start, end, today=TODAY)}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chosen=owners_strategy)
def test_owners_at_once_get_the_windows_each_gets_alone(sessions, chosen) -> None:  # noqa: ANN001
    for table in reversed(Base.metadata.sorted_tables):
        with session_scope(sessions) as session:
            session.execute(table.delete())
    with session_scope(sessions) as session:
        for i, ((country, timezone), own_rule) in enumerate(chosen):
            session.add(_owner(f"o{i}", country, timezone))
            if own_rule:
                session.add(RuleRow(id=f"r{i}", owner_id=f"o{i}", occasion="eid_al_fitr",
                                    kind="off", span=OWN_RULE, reply_slots=[],
                                    response_time=None, notice_days=7, title=None,
                                    created_at=NOW, updated_at=NOW))
    with session_scope(sessions) as session:
        owners = list(session.scalars(select(Owner).order_by(Owner.id)))
        assert rematerialise_many(session, owners, today=TODAY) == []
    with sessions() as session:
        stored, alone = _stored(session), _each_alone(session, owners)
    assert stored == alone and stored

    # Eid al-Fitr 1448 confirmed a day late in each country: the windows move as each
    # owner's alone would, and exactly the windows whose dates changed are reported moved
    with session_scope(sessions) as session:
        for country in {c for (c, _tz), _own in chosen}:
            predicted = occasions.occurrence(country, "eid_al_fitr", 1448, today=TODAY)
            session.add(Confirmation(country=country, occasion="eid_al_fitr", hijri_year=1448,
                                     date=predicted.date + timedelta(days=1),
                                     predicted_date=predicted.date, confirmed_by="test",
                                     created_at=NOW, status="applied"))
    with session_scope(sessions) as session:
        owners = list(session.scalars(select(Owner).order_by(Owner.id)))
        moved = rematerialise_many(session, owners, today=TODAY)
    with sessions() as session:
        after, alone = _stored(session), _each_alone(session, owners)
    assert after == alone
    dates = slice(COMPARED.index("starts_at"), COMPARED.index("ends_at") + 1)
    assert sorted(m.after.id for m in moved) == sorted(
        wid for wid, row in after.items() if wid in stored and row[dates] != stored[wid][dates])
    assert moved  # a later Eid moves some window of every country here
    for m in moved:
        assert tuple(getattr(m.before, c) for c in COMPARED) == stored[m.before.id]
        assert tuple(getattr(m.after, c) for c in COMPARED) == after[m.after.id]
