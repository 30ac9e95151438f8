"""Issue 5 (relay): 10,000 queued Slack replies sent by ``Relay.run_forever()`` (the worker loop),
in-process, under a Slack limit of 200/s, to a local fake ``chat.postMessage``.

Targets: achieved rate ≥ 90 % of the limit, never more than the limit in any 1-second
window (at the fake's side), no duplicates, none left unsent.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import harness

DELIVERIES = 10_000
RATE = 200


async def _drain(relay: object, sessions: object, deadline: float) -> tuple[int, int]:
    """``run_forever`` (what ``ijaza worker`` runs) until every row is sent; (polls, sent)."""
    task = asyncio.create_task(relay.run_forever())  # type: ignore[attr-defined]
    polls = 0
    try:
        for _ in range(DELIVERIES * 10):  # bounded in count as well as in time
            if time.monotonic() > deadline:
                break
            polls += 1
            await asyncio.sleep(0.25)
            counts = await asyncio.to_thread(harness.delivery_counts, sessions)
            if counts.get("pending", 0) + counts.get("sending", 0) == 0:
                break
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    counts = await asyncio.to_thread(harness.delivery_counts, sessions)
    return polls, counts.get("sent", 0)


def run() -> harness.Report:
    """Issue 5: relay pacing at 200/s, in-process."""
    report = harness.Report(f"Relay: {DELIVERIES:,} Slack sends at {RATE}/s (issue 5)")
    with harness.Workdir("relay") as work, harness.FakeSlack(work) as fake:
        sessions = harness.bench_database(work, IJAZA_RATE_LIMITS__SLACK=str(RATE))
        channel_id = harness.slack_channel(sessions, "bench", fake.url)
        with harness.timer() as enqueued:
            harness.enqueue_deliveries(sessions, "bench", channel_id, DELIVERIES)
        report.notes.append(f"enqueued {DELIVERIES:,} deliveries in {enqueued[0]:.1f} s "
                            f"({enqueued[0] / DELIVERIES * 1e6:.0f} µs each, outbox.service."
                            "enqueue, 1,000 per transaction)")

        batch = [0]
        cpu = [0.0]

        async def go() -> tuple[int, int, float]:
            import httpx

            from app.outbox.relay import Relay
            from app.settings import Settings

            settings = Settings()
            assert settings.rate_limits.slack == RATE, settings.rate_limits
            batch[0] = settings.relay_batch
            async with httpx.AsyncClient(timeout=httpx.Timeout(10.0)) as http:
                relay = Relay(sessions, http, settings)
                started = time.monotonic()
                cpu[0] = time.process_time()
                rounds, handled = await _drain(
                    relay, sessions, started + DELIVERIES / RATE * 3 + 60)
                cpu[0] = time.process_time() - cpu[0]
                return rounds, handled, time.monotonic() - started

        rounds, handled, elapsed = asyncio.run(go())
        counts = harness.delivery_counts(sessions)
        stats = harness.pacing(fake.arrivals(), RATE)
    report.rows.append({"label": "relay in-process", "limit_per_s": RATE, **stats,
                        "wall_s": round(elapsed, 1), "rounds": rounds,
                        "cpu_ms_per_send": round(cpu[0] * 1000 / max(handled, 1), 2),
                        "cpu_util": round(cpu[0] / elapsed, 2),
                        "sent": counts.get("sent", 0), "dead": counts.get("dead", 0),
                        "left": counts.get("pending", 0) + counts.get("sending", 0)})
    report.info("achieved rate", f"{stats['rate_per_s']}/s over {stats['span_s']} s")
    report.check("achieved rate / limit", stats["rate_share"], "≥ 0.9",
                 stats["rate_share"] >= 0.9)
    report.check("most sends in any 1 s", stats["max_in_1s"], f"≤ {RATE}",
                 stats["max_in_1s"] <= RATE)
    report.check("duplicates", stats["duplicates"], "0", stats["duplicates"] == 0)
    report.check("delivered distinct ids", stats["distinct_ids"], f"{DELIVERIES:,}",
                 stats["distinct_ids"] == DELIVERIES)
    report.check("rows marked sent", counts.get("sent", 0), f"{DELIVERIES:,}",
                 counts.get("sent", 0) == DELIVERIES)
    report.notes.append(
        f"gaps longer than 3/limit between arrivals: {stats['stalls']} totalling "
        f"{stats['stalled_s']} s (mostly between batches: a claim, then the whole batch "
        f"(IJAZA_RELAY_BATCH={batch[0]}) must finish before the next claim); rate between "
        f"those gaps {stats['steady_rate_per_s']}/s")
    report.notes.append(f"wall time {elapsed:.1f} s for {handled:,} sends "
                        f"({handled / elapsed:.1f}/s including claims); the fake saw "
                        f"{stats['paths']}")
    return report


COLUMNS = ["label", "limit_per_s", "received", "distinct_ids", "duplicates", "rate_per_s",
           "rate_share", "max_in_1s", "median_gap_ms", "steady_rate_per_s", "stalls",
           "stalled_s", "wall_s", "rounds", "cpu_ms_per_send", "cpu_util", "sent", "dead",
           "left"]


def main() -> None:
    harness.cli(run, COLUMNS)


if __name__ == "__main__":
    main()
