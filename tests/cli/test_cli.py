"""The `ijaza` command, run as a user runs it (a subprocess on a fresh SQLite file)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def ijaza(tmp_path_factory):  # noqa: ANN001, ANN201
    db = tmp_path_factory.mktemp("cli") / "cli.db"
    env = os.environ | {"IJAZA_DATABASE_URL": f"sqlite:///{db}", "IJAZA_LOG_LEVEL": "WARNING"}
    env.pop("IJAZA_TEST_DATABASE_URL", None)

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True,
                                env=env, cwd=Path(__file__).resolve().parents[2], timeout=120)
        if check:
            assert result.returncode == 0, result.stderr
        return result

    run("migrate")
    return run


def test_help_reads_well(ijaza) -> None:  # noqa: ANN001
    out = ijaza("--help").stdout
    for command in ("serve", "migrate", "demo", "keys", "calendar", "check", "confirm", "worker"):
        assert command in out


def test_demo_is_idempotent_and_prints_an_admin_key_last(ijaza) -> None:  # noqa: ANN001
    first = ijaza("demo").stdout.strip().splitlines()
    second = ijaza("demo").stdout.strip().splitlines()
    assert first[0].startswith("created") and second[0].startswith("found")
    assert first[-1].startswith("ijz_") and second[-1].startswith("ijz_") and first[-1] != second[-1]


def test_keys_create_prints_the_key_alone_on_the_last_line(ijaza) -> None:  # noqa: ANN001
    ijaza("demo")
    admin = ijaza("keys", "create", "--admin").stdout.strip().splitlines()[-1]
    owner = ijaza("keys", "create", "--owner", "demo").stdout.strip().splitlines()[-1]
    assert admin.startswith("ijz_") and " " not in admin and owner.startswith("ijz_")
    bad = ijaza("keys", "create", "--owner", "ghost", check=False)
    assert bad.returncode == 1 and "ghost" in bad.stderr
    both = ijaza("keys", "create", check=False)
    assert both.returncode == 2


def test_calendar_table(ijaza) -> None:  # noqa: ANN001
    out = ijaza("calendar", "SA", "--year", "2024").stdout
    assert "Eid al-Fitr" in out and "2024-04-10" in out and "1445-10-01" in out
    bad = ijaza("calendar", "XX", check=False)
    assert bad.returncode == 1 and "SA" in bad.stderr
    out_of_range = ijaza("calendar", "SA", "--year", "1900", check=False)
    assert out_of_range.returncode == 1 and "1343" in out_of_range.stderr


def test_check_reads_like_a_person_would(ijaza) -> None:  # noqa: ANN001
    ijaza("demo")
    out = ijaza("check", "demo", "--at", "2030-07-05T12:00:00+03:00", "--text", "hello").stdout
    assert "status:" in out and "back at:" in out and "reply by:" in out
    assert "outside_hours" in out or "off" in out


def test_confirm_refuses_a_typo(ijaza) -> None:  # noqa: ANN001
    far = ijaza("confirm", "SA", "eid_al_adha", "2027-05-30", check=False)
    assert far.returncode == 1 and "force" in far.stderr
