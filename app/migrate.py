"""Run Alembic migrations from code (the CLI, the tests and ``make run`` use this)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from app.db import make_engine
from app.settings import ROOT


@dataclass(frozen=True, slots=True)
class Upgrade:
    """What ``upgrade`` did: the revision before (None: an empty database), the one after,
    and how many migrations ran in between."""

    before: str | None
    after: str | None
    applied: int

    def __str__(self) -> str:
        if self.before is None:
            return f"created the schema ({self.applied} migrations, now at {self.after})"
        if self.applied == 0:
            return f"already up to date ({self.after})"
        plural = "" if self.applied == 1 else "s"
        return f"applied {self.applied} migration{plural} ({self.before} → {self.after})"


def _config(database_url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def current_revision(database_url: str) -> str | None:
    """The database's revision (None before the first migration)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> Upgrade:
    if database_url.startswith("sqlite:///") and not database_url.startswith("sqlite:///:"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    config = _config(database_url)
    before = current_revision(database_url)
    command.upgrade(config, revision)
    after = current_revision(database_url)
    steps = ScriptDirectory.from_config(config).iterate_revisions(after, before) if after else ()
    return Upgrade(before=before, after=after, applied=sum(1 for _ in steps))


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(_config(database_url), revision)
