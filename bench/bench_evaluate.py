"""Issue 4: POST /v1/owners/{owner}/evaluate, recorded, owner on leave, a new contact per
request — against the bare floor (same JSON, same model), then again once the owner has
10,000 past windows and 100,000 recorded events.

Targets: ≥ 0.5× the floor's throughput, p99 < 25 ms, and the history case within 10 % of
the empty case.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import harness

HISTORY_WINDOWS = 10_000
HISTORY_EVENTS = 100_000
HISTORY_CLIENTS = 20_000

EVALUATE_LUA = """
local headers = {["Content-Type"] = "application/json", ["Authorization"] = %(auth)s}
local path = %(path)s
local at = %(at)s
function request()
  local n = next_n()
  local body = '{"contact":{"address":"client-' .. run .. '-' .. n ..
    '@bench.example","name":"عميل ' .. n .. '"},"text":"السلام عليكم، هل أنتم متاحون هذا الأسبوع؟",' ..
    '"received_at":"' .. at .. '"}'
  return wrk.format("POST", path, headers, body)
end
"""


def _owner_key(sessions: object) -> str:
    from app.db import session_scope
    from app.keys.service import create_key

    with session_scope(sessions) as session:
        return create_key(session, admin=False, owner_id="bench", name="bench").key


def _history(sessions: object, now: datetime) -> None:
    """10,000 past manual windows and 100,000 recorded events, inserted in bulk (Core)."""
    from sqlalchemy import insert

    from app.db import session_scope
    from app.decisions.models import EventRow
    from app.windows.models import WindowRow

    first = datetime(2016, 1, 1, 6, tzinfo=UTC)
    windows = []
    for i in range(HISTORY_WINDOWS):
        starts = first + timedelta(hours=8 * i)  # ~9 years, all over before 2026
        windows.append({
            "id": f"w_hist_{i:05d}", "owner_id": "bench", "kind": "off", "source": "manual",
            "starts_at": starts, "ends_at": starts + timedelta(hours=6), "occasion": None,
            "hijri_year": None, "rule_id": None, "title": {"en": f"Past leave {i}"},
            "note": None, "tentative": False, "earliest_start": None, "latest_start": None,
            "earliest_end": None, "latest_end": None, "reply_slots": [],
            "response_time": None, "notice_days": 7, "extra": None,
            "created_at": starts, "updated_at": starts})
    span = (now - timedelta(days=30)) - first
    events = []
    for i in range(HISTORY_EVENTS):
        at = first + span * (i / HISTORY_EVENTS)
        replied = i % 3 != 0
        events.append({
            "owner_id": "bench", "contact_id": None, "client_key": f"hist_{i % HISTORY_CLIENTS}",
            "source": "api", "dedupe_key": None, "kind": "inbound", "at": at,
            "text": "مرحبا، هل أنتم متاحون؟", "status": "off" if replied else "available",
            "window_id": f"w_hist_{i % HISTORY_WINDOWS:05d}" if replied else None,
            "urgent": False, "suppressed": None if replied else "throttled",
            "situation": "off" if replied else None, "replied_at": at if replied else None,
            "reply_text": "شكراً لرسالتك، نحن في إجازة." if replied else None,
            "language": "ar", "tone": "formal", "back_at": at + timedelta(days=1),
            "reply_by": at + timedelta(days=1, hours=4), "decision": {"status": "off"},
            "created_at": at})
    with session_scope(sessions) as session:
        session.execute(insert(WindowRow.__table__), windows)
        for chunk in range(0, len(events), 10_000):
            session.execute(insert(EventRow.__table__), events[chunk:chunk + 10_000])


def _count_events(sessions: object) -> int:
    from sqlalchemy import func, select

    from app.db import session_scope
    from app.decisions.models import EventRow

    with session_scope(sessions) as session:
        return session.scalar(select(func.count()).select_from(EventRow)) or 0


def run() -> harness.Report:
    """Issue 4: recorded evaluate vs the floor, empty and with a long history."""
    report = harness.Report("Evaluate, recorded, owner off (issue 4)")
    with harness.Workdir("evaluate") as work:
        sessions = harness.bench_database(work)
        key = _owner_key(sessions)
        now = harness.on_leave_now(sessions)
        at = now.astimezone(harness.ZONE_RIYADH).isoformat()
        path = "/v1/owners/bench/evaluate"
        script, in_thread_script = (work.file(name, harness.lua(EVALUATE_LUA % {
            "auth": harness.lua_string(f"Bearer {key}"), "path": harness.lua_string(route),
            "at": harness.lua_string(at)})) for name, route in (
                ("evaluate.lua", path), ("in-thread.lua", "/in-thread" + path)))
        with harness.ijaza_server(work) as real, harness.bare_server(work) as bare:
            status, decision = harness.http_json("POST", real.url + path, {
                "contact": {"address": "probe@bench.example", "name": "Probe"},
                "text": "hello", "received_at": at}, key=key)
            assert status == 200, (status, decision)
            assert decision["status"] == "off" and decision["reply"], decision
            floor = harness.measure("bare POST evaluate", bare.url + path, script,
                                    server=bare)
            # (the Lua script sets the path: wrk's URL gives only the host)
            in_thread = harness.measure("bare POST evaluate, def (before 2026-11-23)",
                                        bare.url + "/in-thread" + path, in_thread_script,
                                        server=bare)
            empty = harness.measure("POST evaluate (empty history)", real.url + path, script,
                                    server=real)
            before = _count_events(sessions)
            started = time.perf_counter()
            _history(sessions, now)
            seeded = time.perf_counter() - started
            history = harness.measure(
                f"POST evaluate ({HISTORY_WINDOWS:,} windows, {HISTORY_EVENTS:,}+ events)",
                real.url + path, script, server=real)
        after = _count_events(sessions)
    report.notes.append(f"history seeded in {seeded:.1f} s; events before the history case "
                        f"{before + HISTORY_EVENTS:,}, after {after:,}")
    for result in (empty, history, floor, in_thread):
        report.rows.append({**result.as_dict(), "ratio": harness.ratio(result.rps, floor.rps)})
    report.info("empty history", empty.headline())
    report.info("long history", history.headline())
    report.info("bare floor", floor.headline())
    report.info("empty / the old def floor", harness.ratio(empty.rps, in_thread.rps))
    report.check("empty: throughput / floor", harness.ratio(empty.rps, floor.rps), "≥ 0.5",
                 empty.rps >= 0.5 * floor.rps)
    report.check("empty: p99 ms", round(empty.p99_ms, 2), "< 25", empty.p99_ms < 25)
    report.check("history: throughput / empty", harness.ratio(history.rps, empty.rps),
                 "≥ 0.9", history.rps >= 0.9 * empty.rps)
    report.check("history: p99 ms", round(history.p99_ms, 2), "< 25 (info)",
                 history.p99_ms < 25)
    errors = sum(r.non_2xx + r.socket_errors for r in (empty, history))
    report.check("evaluate: errors", errors, "0", errors == 0)
    return report


COLUMNS = ["label", "requests", "rps", "p50_ms", "p90_ms", "p99_ms", "non_2xx",
           "cpu_ms_per_req", "cpu_util", "ratio"]


def main() -> None:
    harness.cli(run, COLUMNS)


if __name__ == "__main__":
    main()
