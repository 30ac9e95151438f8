"""What the scale benchmarks (issue 15) share: a throwaway PostgreSQL database, owners,
channels, windows and contacts seeded in bulk (SQLAlchemy Core, thousands of rows per
statement), and a process's peak memory."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import harness

DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ALWAYS = {d: ["00:00-24:00"] for d in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")}


@contextlib.contextmanager
def database(server: str) -> Iterator[str]:
    """A fresh, migrated database on ``server``; dropped afterwards (BENCH_KEEP_TMP keeps it)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"ijaza_bench_{secrets.token_hex(4)}"
    admin = create_engine(make_url(server).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        harness.migrate(url)
        yield url
    finally:
        if os.environ.get("BENCH_KEEP_TMP"):
            print(f"(kept database {name})")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def peak_rss_mb(pid: int | str = "self") -> float:
    """A live process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _insert(sessions: Any, table: Any, rows: Sequence[dict[str, Any]], chunk: int = 5000) -> None:
    from sqlalchemy import insert

    for first in range(0, len(rows), chunk):
        with sessions.begin() as session:
            session.execute(insert(table), list(rows[first:first + chunk]))


def owners(sessions: Any, ids: Sequence[str], *, country: str, timezone: str,
           now: datetime) -> None:
    """Owners working around the clock (so that notices go out whenever the bench runs)."""
    from app.owners.models import Owner

    _insert(sessions, Owner, [{
        "id": owner_id, "name": f"Owner {owner_id}", "timezone": timezone, "country": country,
        "languages": ["ar", "en"], "tone": "formal", "working_hours": ALWAYS,
        "response_time": "PT4H", "urgent_contact": None, "delegate": None,
        "urgent_keywords": None, "reply_once_per": "P4D", "active_for": "PT10M",
        "notice_audience_days": 60, "digest_to": None, "tell_when_back": False,
        "created_at": now, "updated_at": now} for owner_id in ids])


def channels(sessions: Any, ids: Sequence[str], platform_url: str, *, now: datetime
             ) -> dict[str, str]:
    """A generic channel per owner writing to ``platform_url``; owner id → channel id."""
    from app.connections.models import ChannelRow
    from app.crypto import SecretBox

    sealed = SecretBox(harness.SECRET_KEY).seal({"signing_secret": "bench-generic"})
    made = {owner_id: f"ch_{i:010d}" for i, owner_id in enumerate(ids)}
    _insert(sessions, ChannelRow, [{
        "id": made[owner_id], "owner_id": owner_id, "platform": "generic", "mode": "send",
        "name": "bench", "settings": {"callback_url": platform_url + "/cb"},
        "sealed_secrets": sealed, "created_at": now, "updated_at": now} for owner_id in ids])
    return made


def leave(sessions: Any, ids: Sequence[str], *, starts_at: datetime, days: int,
          now: datetime) -> None:
    """A manual off window per owner, with its notice period begun."""
    from app.windows.models import WindowRow

    _insert(sessions, WindowRow, [{
        "id": f"w_{owner_id}", "owner_id": owner_id, "kind": "off", "source": "manual",
        "starts_at": starts_at, "ends_at": starts_at + timedelta(days=days),
        "occasion": None, "hijri_year": None, "rule_id": None,
        "title": {"en": "Family leave", "ar": "إجازة عائلية"}, "note": None,
        "tentative": False, "earliest_start": None, "latest_start": None,
        "earliest_end": None, "latest_end": None, "reply_slots": [], "response_time": None,
        "notice_days": 7, "extra": None, "created_at": now, "updated_at": now}
        for owner_id in ids])


def contacts(sessions: Any, per_owner: dict[str, int], channel_of: dict[str, str], *,
             now: datetime) -> list[tuple[str, str]]:
    """``per_owner[o]`` clients of each owner, seen yesterday on the owner's channel;
    returns their (owner id, client key)s."""
    from app.contacts.models import Contact

    rows, keys = [], []
    for owner_id, count in per_owner.items():
        for i in range(count):
            key = f"k_{owner_id}_{i}"
            keys.append((owner_id, key))
            rows.append({
                "id": f"c_{owner_id}_{i}", "owner_id": owner_id, "channel": "generic",
                "address": f"{owner_id}-{i}", "name": f"عميل {i}",
                "language": "ar" if i % 2 else "en", "tone": None, "client_key": key,
                "vip": False, "opted_out": False, "last_channel_id": channel_of[owner_id],
                "last_seen_at": now - timedelta(days=1), "reply_context": {},
                "created_at": now, "updated_at": now})
            if len(rows) >= 20_000:
                _insert(sessions, Contact, rows)
                rows = []
    _insert(sessions, Contact, rows)
    return keys



def eid_night(sessions: Any, *, saudi: int, egypt: int, clients: int, told: int,
              platform_url: str) -> dict[str, Any]:
    """Issue 15's data: ``saudi`` owners in Saudi Arabia and ``egypt`` in Egypt, each with a
    generic channel writing to ``platform_url``, ``clients`` clients spread over them, the
    13 months of computed windows every owner has, and ``told`` Saudi clients who were given
    the dates of Ramadan 1448's reduced hours (an answered message about that window).
    Returns the Saudi owner ids and how many clients were told."""
    from sqlalchemy import select, text

    from app.decisions.models import EventRow
    from app.notices import jobs
    from app.windows.models import WindowRow

    now = datetime.now(UTC)
    sa = [f"sa{i:05d}" for i in range(saudi)]
    eg = [f"eg{i:05d}" for i in range(egypt)]
    owners(sessions, sa, country="SA", timezone="Asia/Riyadh", now=now)
    owners(sessions, eg, country="EG", timezone="Africa/Cairo", now=now)
    everyone = sa + eg
    channel_of = channels(sessions, everyone, platform_url, now=now)
    per_owner = {o: clients // len(everyone) + (1 if i < clients % len(everyone) else 0)
                 for i, o in enumerate(everyone)}
    keys = contacts(sessions, per_owner, channel_of, now=now)
    jobs.materialise_all(sessions)
    # Saudi Arabia's Eid al-Fitr holiday starts the day after 29 Ramadan whatever the
    # sighting, so a later Eid moves the end of Ramadan's reduced hours: the window whose
    # dates the told clients were given.
    with sessions() as session:
        ramadan = {o: w for o, w in session.execute(select(WindowRow.owner_id, WindowRow.id).where(
            WindowRow.occasion == "ramadan", WindowRow.hijri_year == 1448,
            WindowRow.owner_id.in_(sa)))}
    given = [(o, k) for o, k in keys if o in ramadan][:told]
    _insert(sessions, EventRow, [{
        "owner_id": o, "contact_id": "c_" + k[2:], "client_key": k, "source": "api",
        "dedupe_key": None, "kind": "inbound", "at": now, "text": "هل أنتم متاحون؟",
        "status": "available", "window_id": ramadan[o], "urgent": False, "suppressed": None,
        "situation": "off", "replied_at": now, "reply_text": "…", "language": "ar",
        "tone": "formal", "back_at": None, "reply_by": None, "decision": {},
        "created_at": now} for o, k in given])
    with sessions.begin() as session:
        session.execute(text("ANALYZE"))
    return {"saudi": sa, "told": len(given)}
