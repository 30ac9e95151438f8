"""Every schema change is an Alembic migration: the migrated database is what the models
say, and the newest migration goes down and up again cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.db import make_engine
from app.migrate import downgrade, upgrade
from app.models import Base  # every model, on one metadata


def _differences(engine) -> list:  # noqa: ANN001
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_the_migrated_database_matches_the_models(engine) -> None:  # noqa: ANN001
    assert _differences(engine) == []


def test_the_newest_migration_goes_down_and_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'down-up.db'}"
    upgrade(url)
    downgrade(url, "0002")
    engine = make_engine(url)
    try:
        assert "tell_when_back" not in {c["name"] for c in inspect(engine).get_columns("owner")}
        upgrade(url)
        assert "tell_when_back" in {c["name"] for c in inspect(engine).get_columns("owner")}
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_the_window_chance_migration_goes_down_and_up(db_url: str) -> None:
    # 0009 adds window.move_chance, nullable (rows written before it are "not priced"); on
    # the test database of the run, SQLite or PostgreSQL, and back to head for the others.
    engine = make_engine(db_url)
    try:
        downgrade(db_url, "0008")
        assert "move_chance" not in {c["name"] for c in inspect(engine).get_columns("window")}
        upgrade(db_url)
        columns = {c["name"]: c for c in inspect(engine).get_columns("window")}
        assert columns["move_chance"]["nullable"] is True
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_a_window_keeps_its_chance(sessions, owner: dict) -> None:  # noqa: ANN001
    from datetime import UTC, datetime

    from app.windows.models import WindowRow

    at = datetime(2027, 3, 8, tzinfo=UTC)
    with sessions() as session:
        session.add(WindowRow(id="w-chance", owner_id=owner["id"], kind="off", source="rule",
                              starts_at=at, ends_at=at, tentative=True, move_chance=0.157,
                              created_at=at, updated_at=at))
        session.commit()
    with sessions() as session:
        assert session.get(WindowRow, "w-chance").move_chance == 0.157
