"""``db.insert_many`` and ``db.update_many``: many rows in one statement on PostgreSQL (a
JSON document turned back into rows), an executemany on SQLite; the same rows either way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.db import insert_many, session_scope, update_many
from app.decisions.models import EventRow
from app.outbox.models import Delivery
from app.owners.models import Owner

NOW = datetime(2027, 3, 9, 21, 30, 0, 123456, tzinfo=UTC)


def _owner(session) -> None:  # noqa: ANN001
    session.add(Owner(id="o1", name="o1", timezone="Asia/Riyadh", country="SA",
                      languages=["ar"], tone="formal", working_hours={}, response_time="PT4H",
                      reply_once_per="P4D", active_for="PT10M", notice_audience_days=60,
                      tell_when_back=False, created_at=NOW, updated_at=NOW))
    session.flush()


def _event(key: str, text: str, **extra: object) -> dict:
    return {"owner_id": "o1", "contact_id": None, "client_key": key, "source": "scheduler",
            "dedupe_key": None, "kind": "correction", "at": NOW, "text": None,
            "status": "available", "window_id": "o1:w", "urgent": False, "suppressed": None,
            "situation": "correction", "replied_at": NOW, "reply_text": text,
            "language": "ar", "tone": "formal", "back_at": None, "reply_by": None,
            "decision": {"kind": "correction", "window_id": "o1:w"}, "created_at": NOW,
            **extra}


def test_events_go_in_as_given_with_their_ids(sessions) -> None:  # noqa: ANN001
    # quotes, backslashes, Arabic and bidi marks survive; instants in any zone are stored as
    # the same UTC instant; a NULL stays NULL
    texts = ['"quoted" \\ back\u2067slash\u2069', "عيد مبارك، {name}", ""]
    rows = [_event(f"k{i}", t, back_at=NOW.astimezone(ZoneInfo("Asia/Riyadh")) + timedelta(days=i))
            for i, t in enumerate(texts)]
    with session_scope(sessions) as session:
        _owner(session)
        returned = insert_many(session.connection(), EventRow.__table__, rows,
                               returning=("client_key", "id"))
        stored = {e.client_key: e for e in session.scalars(select(EventRow))}
        assert [stored[f"k{i}"].reply_text for i in range(3)] == texts
        assert [stored[f"k{i}"].back_at for i in range(3)] == [
            NOW + timedelta(days=i) for i in range(3)]
        assert all(e.contact_id is None and e.decision == rows[0]["decision"]
                   for e in stored.values())
        if session.get_bind().dialect.name == "postgresql":
            assert returned is not None
            assert dict((r.client_key, r.id) for r in returned) == {
                k: e.id for k, e in stored.items()}
        else:
            assert returned is None  # read back by the caller


def test_a_key_already_queued_is_left_as_it_is(sessions) -> None:  # noqa: ANN001
    def delivery(key: str, text: str) -> dict:
        return {"owner_id": "o1", "channel_id": None, "platform": "generic",
                "kind": "correction", "idempotency_key": key, "payload": {"text": text},
                "status": "pending", "attempts": 0, "next_attempt_at": NOW, "event_id": None,
                "created_at": NOW}

    with session_scope(sessions) as session:
        _owner(session)
        insert_many(session.connection(), Delivery.__table__, [delivery("a", "first")],
                    skip_key="idempotency_key")
        insert_many(session.connection(), Delivery.__table__,
                    [delivery("a", "second"), delivery("b", "other")],
                    skip_key="idempotency_key")
        stored = {d.idempotency_key: d.payload["text"] for d in session.scalars(select(Delivery))}
    assert stored == {"a": "first", "b": "other"}


def test_update_many_rewrites_only_the_rows_named(sessions) -> None:  # noqa: ANN001
    with session_scope(sessions) as session:
        _owner(session)
        insert_many(session.connection(), EventRow.__table__,
                    [_event(f"k{i}", f"old {i}") for i in range(3)])
        ids = {e.client_key: e.id for e in session.scalars(select(EventRow))}
        update_many(session.connection(), EventRow.__table__, [
            {"id": ids["k0"], "reply_text": "new 0", "back_at": NOW},
            {"id": ids["k2"], "reply_text": 'new "2"', "back_at": None}])
        session.expire_all()
        stored = {e.client_key: (e.reply_text, e.back_at) for e in session.scalars(select(EventRow))}
    assert stored == {"k0": ("new 0", NOW), "k1": ("old 1", None), "k2": ('new "2"', None)}


def test_a_naive_instant_is_refused(sessions) -> None:  # noqa: ANN001
    with pytest.raises(Exception, match="naive"), session_scope(sessions) as session:
        _owner(session)
        insert_many(session.connection(), EventRow.__table__,
                    [_event("k", "x", at=datetime(2027, 3, 9, 21, 30))])
