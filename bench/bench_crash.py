"""Issue 5 (crash): 10,000 queued Slack replies, the relay in its own process
(``bench/relay_worker.py``: ``Relay.run_forever``), SIGKILLed after ~3,000 arrivals and
restarted with a 3-second claim.

Targets: every delivery arrives (10,000 distinct ids, none lost) and the duplicates are no
more than the rows that were claimed (``sending``) at the moment of the kill.
"""

from __future__ import annotations

import signal
import subprocess
import time

import harness

DELIVERIES = 10_000
KILL_AFTER = 3_025  # mid-batch (the relay claims 50 at a time)
RATE = 200
CLAIM_SECONDS = 3


def _worker(work: harness.Workdir, name: str) -> subprocess.Popen[bytes]:
    env = harness.bench_env(work.db_url, IJAZA_RATE_LIMITS__SLACK=str(RATE),
                            IJAZA_RELAY_CLAIM_SECONDS=str(CLAIM_SECONDS),
                            IJAZA_RELAY_POLL_SECONDS="0.2")
    out = (work.path / f"{name}.log").open("wb")
    return harness.spawn([harness.PYTHON, str(harness.BENCH / "relay_worker.py")], env=env,
                         cwd=harness.ROOT, stdout=out, stderr=subprocess.STDOUT,
                         start_new_session=True)


def _sending_ids(sessions: object) -> list[int]:
    from sqlalchemy import select

    from app.db import session_scope
    from app.outbox.models import Delivery

    with session_scope(sessions) as session:
        return list(session.scalars(select(Delivery.id).where(Delivery.status == "sending")))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def run() -> harness.Report:
    """Issue 5: relay crash and restart, nothing lost, duplicates bounded."""
    report = harness.Report(f"Relay crash: SIGKILL after ~{KILL_AFTER:,} of {DELIVERIES:,} "
                            "(issue 5)")
    with harness.Workdir("crash") as work, harness.FakeSlack(work) as fake:
        sessions = harness.bench_database(work)
        channel_id = harness.slack_channel(sessions, "bench", fake.url)
        harness.enqueue_deliveries(sessions, "bench", channel_id, DELIVERIES)

        started = time.monotonic()
        first = _worker(work, "worker-1")
        second = None
        try:
            deadline = started + KILL_AFTER / RATE * 4 + 60
            while fake.count() < KILL_AFTER and time.monotonic() < deadline:
                if first.poll() is not None:
                    raise RuntimeError("the relay worker exited: "
                                       + (work.path / "worker-1.log").read_text()[-3000:])
                time.sleep(0.01)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
            killed_at = time.monotonic() - started
            received_at_kill = fake.count()
            in_flight = _sending_ids(sessions)
            sent_at_kill = harness.delivery_counts(sessions).get("sent", 0)

            second = _worker(work, "worker-2")
            deadline = time.monotonic() + DELIVERIES / RATE * 4 + 60
            counts: dict[str, int] = {}
            while time.monotonic() < deadline:
                counts = harness.delivery_counts(sessions)
                if counts.get("sent", 0) + counts.get("dead", 0) >= DELIVERIES:
                    break
                if second.poll() is not None:
                    raise RuntimeError("the restarted relay exited: "
                                       + (work.path / "worker-2.log").read_text()[-3000:])
                time.sleep(0.25)
            total = time.monotonic() - started
        finally:
            _stop(first)
            if second is not None:
                _stop(second)
        time.sleep(0.2)  # the fake's last log lines
        arrivals = fake.arrivals()
        stats = harness.pacing(arrivals, RATE)
    seen: dict[str, int] = {}
    for _t, ident, _path in arrivals:
        seen[ident] = seen.get(ident, 0) + 1
    report.rows.append({
        "label": "relay process killed and restarted", "killed_at_s": round(killed_at, 1),
        "received_at_kill": received_at_kill, "sent_rows_at_kill": sent_at_kill,
        "in_flight_at_kill": len(in_flight), "received": stats["received"],
        "distinct_ids": stats["distinct_ids"], "duplicates": stats["duplicates"],
        "sent": counts.get("sent", 0), "dead": counts.get("dead", 0), "total_s": round(total, 1),
        "max_in_1s": stats["max_in_1s"]})
    report.info("in flight (sending) at the kill", len(in_flight))
    report.info("total time", f"{total:.1f} s")
    report.check("delivered distinct ids (none lost)", stats["distinct_ids"], f"{DELIVERIES:,}",
                 stats["distinct_ids"] == DELIVERIES)
    report.check("duplicates ≤ in flight at the kill", stats["duplicates"],
                 f"≤ {len(in_flight)}", stats["duplicates"] <= len(in_flight))
    report.check("rows marked sent", counts.get("sent", 0), f"{DELIVERIES:,}",
                 counts.get("sent", 0) == DELIVERIES)
    report.notes.append(
        f"claim {CLAIM_SECONDS} s, limit {RATE}/s; {received_at_kill - sent_at_kill} requests "
        "had reached the fake but were not yet marked sent at the kill "
        f"(the duplicates' upper bound from the fake's side); total {total:.1f} s")
    return report


COLUMNS = ["label", "killed_at_s", "received_at_kill", "sent_rows_at_kill", "in_flight_at_kill",
           "received", "distinct_ids", "duplicates", "sent", "dead", "total_s", "max_in_1s"]


def main() -> None:
    harness.cli(run, COLUMNS)


if __name__ == "__main__":
    main()
