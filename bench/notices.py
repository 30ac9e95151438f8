"""Issue 15: advance notices planned and queued for 200,000 clients on PostgreSQL — the
scheduler's job (``notices.jobs.advance_notices``) in a process of its own, timed, with its
peak memory; next to a floor measured in the same run: the same number of delivery rows
written with plain Core INSERTs of the same batch size (what any planner must write).

Targets: < 60 s and < 300 MB.

    .venv/bin/python bench/notices.py [--owners 1000] [--contacts 200000] [--batch 500]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import harness
import pg


def _plan(url: str, batch: int) -> dict[str, float]:
    harness.use_env_in_process(url)
    from app.notices import jobs

    sessions = harness.sessions_for(url)
    started = time.perf_counter()
    queued = jobs.advance_notices(sessions, batch=batch)
    return {"seconds": round(time.perf_counter() - started, 2), "queued": queued,
            "rss_mb": pg.peak_rss_mb()}


def _floor(url: str, count: int, batch: int) -> dict[str, float]:
    """``count`` delivery-shaped rows, ``batch`` per INSERT and per transaction, into a
    copy of the delivery table."""
    harness.use_env_in_process(url)
    from sqlalchemy import text

    sessions = harness.sessions_for(url)
    with sessions.begin() as session:
        session.execute(text("CREATE TABLE floor_delivery (LIKE delivery INCLUDING ALL)"))
    now = datetime.now(UTC)
    started = time.perf_counter()
    for first in range(0, count, batch):
        rows = [{"owner_id": "o", "kind": "notice", "platform": "generic",
                 "key": f"floor:{n}", "payload": json.dumps({"to": f"c{n}", "text": "x" * 300}),
                 "at": now} for n in range(first, min(first + batch, count))]
        with sessions.begin() as session:
            session.execute(text(
                "INSERT INTO floor_delivery (owner_id, kind, platform, idempotency_key, "
                "payload, status, attempts, next_attempt_at, created_at) VALUES (:owner_id, "
                ":kind, :platform, :key, CAST(:payload AS json), 'pending', 0, :at, :at)"), rows)
    return {"seconds": round(time.perf_counter() - started, 2), "rss_mb": pg.peak_rss_mb()}


def _child(*args: str) -> dict[str, float]:
    done = subprocess.run([harness.PYTHON, __file__, *args], capture_output=True, text=True,
                          cwd=harness.ROOT, timeout=1800, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(owners: int = 1000, contacts: int = 200_000, batch: int = 500,
        server: str = pg.DEFAULT_SERVER) -> harness.Report:
    report = harness.Report(f"Advance notices for {contacts:,} clients of {owners:,} owners "
                            "(issue 15)")
    load = os.getloadavg()
    with pg.database(server) as url:
        from sqlalchemy import text

        harness.use_env_in_process(url)
        sessions = harness.sessions_for(url)
        now = datetime.now(UTC)
        ids = [f"o{i:05d}" for i in range(owners)]
        seeding = time.perf_counter()
        pg.owners(sessions, ids, country="SA", timezone="Asia/Riyadh", now=now)
        channel_of = pg.channels(sessions, ids, "http://127.0.0.1:9", now=now)
        pg.leave(sessions, ids, starts_at=now + timedelta(days=3), days=7, now=now)
        per_owner = {owner_id: contacts // owners + (1 if i < contacts % owners else 0)
                     for i, owner_id in enumerate(ids)}
        pg.contacts(sessions, per_owner, channel_of, now=now)
        with sessions.begin() as session:
            session.execute(text("ANALYZE"))
        report.info("seeding (s)", round(time.perf_counter() - seeding, 1))
        floor = _child("--floor", url, str(contacts), str(batch))
        planned = _child("--plan", url, str(batch))
        counts = harness.delivery_counts(sessions)
    report.info("floor: the same rows, plain INSERTs (s)", floor["seconds"])
    report.check("notices queued", planned["queued"], f"{contacts:,}",
                 planned["queued"] == contacts and counts.get("pending") == contacts)
    report.check("planning time (s)", planned["seconds"], "< 60", planned["seconds"] < 60)
    report.info("planning / floor", harness.ratio(planned["seconds"], floor["seconds"]))
    report.info("per client (ms)", round(planned["seconds"] * 1000 / max(contacts, 1), 3))
    report.check("peak memory of the planning process (MB)", planned["rss_mb"], "< 300",
                 planned["rss_mb"] < 300)
    report.info("peak memory of the floor process (MB)", floor["rss_mb"])
    report.notes.append("load average before the run: " + ", ".join(f"{x:.2f}" for x in load)
                        + f" ({os.cpu_count()} cores, shared with other engineers' work)")
    return report


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--plan":
        print(json.dumps(_plan(sys.argv[2], int(sys.argv[3]))))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--floor":
        print(json.dumps(_floor(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--owners", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--server", default=pg.DEFAULT_SERVER,
                        help="a PostgreSQL server; a throwaway database is made on it")
    parser.add_argument("--json", help="also write the report to this file")
    args = parser.parse_args()
    report = run(args.owners, args.contacts, args.batch, args.server)
    harness.print_report(report, ["what", "value", "target", "ok"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report.as_dict(), f, indent=2)


if __name__ == "__main__":
    main()
