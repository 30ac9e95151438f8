"""Where a send's CPU goes before Ijaza's own code: one Slack-sized POST to the local fake
platform through ``httpx.AsyncClient`` (what the relay sends with), beside the floor of
``httpcore``'s connection pool without the httpx layer, at 1 and at 16 requests in flight
(the relay's ``MAX_IN_FLIGHT``). Process CPU per request; not a target of its own, it says
how much of ``bench_relay.py``'s CPU per send the HTTP client takes (about 20 s).

    .venv/bin/python bench/bench_http_client.py
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

import harness

REQUESTS = 5_000
WARM = 200
BODY = {"channel": "D0BENCH", "text": "bench-1 " + "عيدكم مبارك، " * 20}


async def _timed(send: Callable[[], Awaitable[None]], in_flight: int) -> float:
    """CPU seconds per request of ``REQUESTS`` sends, ``in_flight`` at a time."""
    gate = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with gate:
            await send()

    await asyncio.gather(*(one() for _ in range(WARM)))
    started = time.process_time()
    await asyncio.gather(*(one() for _ in range(REQUESTS)))
    return (time.process_time() - started) / REQUESTS


async def _measure(url: str) -> list[dict[str, object]]:
    import httpcore
    import httpx

    rows: list[dict[str, object]] = []
    headers = {"authorization": "Bearer xoxb-bench"}
    for in_flight in (1, 16):
        async with httpx.AsyncClient(trust_env=False, follow_redirects=False) as client:
            async def with_httpx() -> None:
                response = await client.request("POST", url, headers=headers, json=BODY)
                response.json()

            httpx_cpu = await _timed(with_httpx, in_flight)
        async with httpcore.AsyncConnectionPool(max_connections=100,
                                                max_keepalive_connections=20) as pool:
            async def with_httpcore() -> None:
                content = json.dumps(BODY).encode()
                response = await pool.request("POST", url, content=content, headers={
                    **headers, "content-type": "application/json",
                    "content-length": str(len(content))})
                json.loads(response.content)

            floor_cpu = await _timed(with_httpcore, in_flight)
        rows.append({"label": f"{in_flight} in flight", "httpx_ms": round(httpx_cpu * 1e3, 3),
                     "httpcore_floor_ms": round(floor_cpu * 1e3, 3),
                     "ratio": round(httpx_cpu / floor_cpu, 2)})
    return rows


def run() -> harness.Report:
    """The HTTP client's CPU per send, against httpcore's floor."""
    report = harness.Report("HTTP client: CPU per Slack-sized POST (issue 15)")
    with harness.Workdir("http-client") as work, harness.FakeSlack(work) as fake:
        rows = asyncio.run(_measure(f"{fake.url}/chat.postMessage"))
        received = fake.count()
    report.rows.extend(rows)
    expected = 2 * 2 * (REQUESTS + WARM)
    report.check("requests the platform received", received, f"{expected:,}",
                 received == expected)
    for row in rows:
        report.info(f"httpx, {row['label']} (ms CPU / request)", row["httpx_ms"])
        report.info(f"httpcore floor, {row['label']} (ms CPU / request)",
                    row["httpcore_floor_ms"])
    return report


COLUMNS = ["label", "httpx_ms", "httpcore_floor_ms", "ratio"]


def main() -> None:
    harness.cli(run, COLUMNS)


if __name__ == "__main__":
    main()
