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
