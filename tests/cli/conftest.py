"""Two ways to run ``ijaza`` on a fresh SQLite file: as a user runs it (a subprocess), and
in this process (to freeze the clock or stand in for uvicorn)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

ROOT = Path(__file__).resolve().parents[2]
# Variables a developer's shell may set that would change what the commands print.
UNSET = ("IJAZA_HOST", "IJAZA_PORT", "IJAZA_PUBLIC_BASE_URL", "IJAZA_DEMO_ADMIN_KEY",
         "IJAZA_TEST_DATABASE_URL")


@pytest.fixture(scope="module")
def cli_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    from app.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'cli.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def ijaza(cli_db: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``ijaza(*args, check=True, env={...})``: the command in a subprocess."""
    base = {k: v for k, v in os.environ.items() if k not in UNSET} | {
        "IJAZA_DATABASE_URL": cli_db, "IJAZA_LOG_LEVEL": "WARNING"}

    def run(*args: str, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True,
                                text=True, env=base | (env or {}), cwd=ROOT, timeout=120)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run


@pytest.fixture
def cli(cli_db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """``cli(*args, check=True)``: the command in this process, settings from a clean
    environment (``monkeypatch.setenv`` before calling it to add to it)."""
    from app.cli import app
    from app.settings import get_settings

    for name in UNSET:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IJAZA_DATABASE_URL", cli_db)
    runner = CliRunner()

    def run(*args: str, check: bool = True) -> Result:
        get_settings.cache_clear()
        result = runner.invoke(app, list(args))
        if check:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    yield run
    get_settings.cache_clear()
