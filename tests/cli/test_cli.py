"""The `ijaza` command (fixtures in conftest: ``ijaza`` a subprocess, ``cli`` in-process)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from unittest import mock

import pytest
from sqlalchemy import create_engine, select

from app.keys.models import ApiKey
from app.keys.service import digest


def _revoked(db_url: str, key: str) -> bool:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(ApiKey.revoked_at).where(ApiKey.digest == digest(key))).one()
    finally:
        engine.dispose()
    return row.revoked_at is not None


def test_help_reads_well(ijaza) -> None:  # noqa: ANN001
    out = ijaza("--help").stdout
    for command in ("serve", "migrate", "demo", "keys", "calendar", "check", "confirm", "worker"):
        assert command in out


def test_migrate_says_what_it_did(ijaza, tmp_path) -> None:  # noqa: ANN001
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from app.migrate import downgrade
    from app.settings import ROOT

    script = Config(str(ROOT / "alembic.ini"))
    script.set_main_option("script_location", str(ROOT / "migrations"))
    head = ScriptDirectory.from_config(script).get_current_head()
    env = {"IJAZA_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    assert ijaza("migrate", env=env).stdout.startswith("created the schema")
    assert ijaza("migrate", env=env).stdout.strip() == f"already up to date ({head})"
    downgrade(env["IJAZA_DATABASE_URL"], "0002")
    applied = ijaza("migrate", env=env).stdout.strip()
    assert re.fullmatch(rf"applied \d+ migrations? \(0002 → {head}\)", applied), applied
    assert applied != "applied 0 migrations (0002 → 0002)"


def test_demo_is_idempotent_and_revokes_the_key_it_printed_before(ijaza, cli_db) -> None:  # noqa: ANN001
    first = ijaza("demo").stdout.strip().splitlines()
    second = ijaza("demo").stdout.strip().splitlines()
    assert first[0].startswith("created") and second[0].startswith("found")
    assert first[-1].startswith("ijz_") and second[-1].startswith("ijz_") and first[-1] != second[-1]
    assert "revoked the previous demo key" in second
    assert _revoked(cli_db, first[-1]) and not _revoked(cli_db, second[-1])


def test_demo_prints_the_urls_of_the_port_it_will_serve(ijaza) -> None:  # noqa: ANN001
    out = ijaza("demo", env={"IJAZA_HOST": "0.0.0.0", "IJAZA_PORT": "8765"}).stdout
    assert "http://127.0.0.1:8765/docs" in out and "http://127.0.0.1:8765/p/demo" in out
    lines = out.strip().splitlines()
    assert "http://127.0.0.1:8765/admin" in lines[-3] and lines[-1].startswith("ijz_")


def test_demo_reuses_the_configured_key_and_mints_none(cli, cli_db, monkeypatch) -> None:  # noqa: ANN001
    minted = cli("demo").stdout.strip().splitlines()[-1]
    fixed = "ijz_" + "k" * 32
    monkeypatch.setenv("IJAZA_DEMO_ADMIN_KEY", fixed)
    first, again = cli("demo").stdout.splitlines(), cli("demo").stdout.splitlines()
    assert first[-1] == again[-1] == fixed
    assert "admin key (IJAZA_DEMO_ADMIN_KEY):" in again and "shown once" not in "\n".join(again)
    assert "revoked the previous demo key" in first and not any("revoked" in x for x in again)
    assert _revoked(cli_db, minted) and not _revoked(cli_db, fixed)


def test_demo_refuses_a_key_that_is_not_one(cli, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("IJAZA_DEMO_ADMIN_KEY", "letmein")
    bad = cli("demo", check=False)
    assert bad.exit_code == 1 and "IJAZA_DEMO_ADMIN_KEY must be 'ijz_'" in bad.stderr


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


def _at(day: str) -> mock._patch:
    return mock.patch("app.clock.now", return_value=datetime.fromisoformat(day).replace(tzinfo=UTC))


def test_calendar_in_december_shows_the_coming_year(cli) -> None:  # noqa: ANN001
    with _at("2026-12-15T09:00"):
        out = cli("calendar", "SA").stdout
    assert out.startswith("SA 2026-12-15 → 2027-12-14 — weekend:")
    assert "Tue 2027-03-09  1448-10-01" in out  # Eid al-Fitr 1448
    assert "2026-05-" not in out  # Eid al-Adha 2026: over


def test_calendar_keeps_what_is_under_way_and_stops_after_twelve_months(cli) -> None:  # noqa: ANN001
    with _at("2027-03-11T09:00"):  # the Eid al-Fitr holiday, Ramadan just over
        rolling = cli("calendar", "SA").stdout
        whole = cli("calendar", "SA", "--year", "2027").stdout
    assert rolling.startswith("SA 2027-03-11 → 2028-03-10")
    occasions, holidays = rolling.split("national holidays:")
    eids = [line for line in occasions.splitlines() if line.startswith("Eid al-Fitr ")]
    assert "2027-03-09" in eids[0] and "2028-02-26" in eids[1]  # the first still under way
    assert "1448-09-01" not in rolling and "1449-09-01" in rolling  # next Ramadan, not this one
    dates = re.findall(r"\b(\d{4}-\d{2}-\d{2})\b", holidays)
    assert dates and all("2027-03-11" <= d <= "2028-03-10" for d in dates)
    assert whole.startswith("SA 2027 — weekend:") and "1448-09-01" in whole


def test_calendar_never_prints_a_candidate_day_at_0_percent(ijaza) -> None:  # noqa: ANN001
    out = ijaza("calendar", "LY", "--year", "2027").stdout  # Eid al-Adha's third day: 0.5 %
    chances = re.findall(r"\w{3} \d{2}-\d{2} (<?\d+%)", out)
    assert chances and "0%" not in chances and "<1%" in chances


def test_check_reads_like_a_person_would(ijaza) -> None:  # noqa: ANN001
    ijaza("demo")
    out = ijaza("check", "demo", "--at", "2030-07-05T12:00:00+03:00", "--text", "hello").stdout
    assert "status:" in out and "back at:" in out and "reply by:" in out
    assert "outside_hours" in out or "off" in out


def test_confirm_refuses_a_typo_in_the_clis_words(cli) -> None:  # noqa: ANN001
    far = cli("confirm", "SA", "eid_al_adha", "2027-05-30", check=False)
    assert far.exit_code == 1 and "add --force" in far.stderr and '"force"' not in far.stderr


def test_serve_leaves_logging_to_us_and_hands_its_port_to_the_app(cli, monkeypatch) -> None:  # noqa: ANN001
    from app.settings import get_settings

    monkeypatch.setenv("IJAZA_PORT", "8000")  # restored after the test: serve rewrites it
    monkeypatch.setenv("IJAZA_HOST", "127.0.0.1")
    with mock.patch("uvicorn.run") as run:
        cli("serve", "--host", "0.0.0.0", "--port", "8765")
    (target,), options = run.call_args
    assert target == "app.asgi:app" and options["log_config"] is None
    assert options["access_log"] is False  # one line per request: the app's, with its id
    assert (options["host"], options["port"]) == ("0.0.0.0", 8765)
    assert get_settings().public_base_url == "http://127.0.0.1:8765"  # what the app will read


@pytest.mark.parametrize("command", ["worker", "rotate-secrets"])
def test_the_other_commands_have_help(cli, command: str) -> None:  # noqa: ANN001
    assert "Usage:" in cli(command, "--help").stdout
