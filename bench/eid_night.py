"""Issue 15: Eid night on PostgreSQL. 10,000 owners in Saudi Arabia (and 2,000 in Egypt),
200,000 clients of whom 50,000 were told the expected Eid al-Fitr dates; ``ijaza serve
--workers 2`` (relays, no scheduler) and one ``ijaza worker`` (the scheduler's leader and a
relay); wrk drives recorded evaluations and signed Slack webhooks at 32 connections in all;
at t0 an operator confirms Eid al-Fitr one day later than predicted.

Reported, with their targets: the confirmation's answer (< 1 s); every owner re-planned
(< 30 s) and every correction queued (< 60 s); the intake's p99 during the re-planning
(< 100 ms) and its throughput against the same load before t0 (at most 20 % lower), 0
errors; corrections delivered at ≥ 90 % of the platform limit, never above, none twice;
each process's peak memory (< 300 MB). Then the scale-out: evaluate alone against
``--workers 1`` and ``--workers 2`` in the same run, and what 4 and 8 cores would give
from the measured CPU per request.

    .venv/bin/python bench/eid_night.py [--owners 10000] [--others 2000]
        [--contacts 200000] [--told 50000] [--limit 100] [--during 40]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import bench_evaluate
import bench_webhook
import harness
import pg


class Platform:
    """The platform's API on 127.0.0.1 (HTTP/1.1 kept alive, its own event loop): answers
    ``{"ok": true}`` and notes when each message arrived and for whom."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str]] = []
        self.loop = asyncio.new_event_loop()
        self.port = harness.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.raised = False
        threading.Thread(target=self._run, daemon=True).start()
        asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", self.port), self.loop).result(10)

    def _run(self) -> None:
        # A real platform is elsewhere; here it shares two busy cores, and an arrival read
        # late is stamped late, so a receiver that falls behind and catches up counts a
        # burst the senders never made. Its thread runs ahead of the load (root only).
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), -10)
            self.raised = True
        except OSError:
            pass
        self.loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = await reader.readexactly(length)
                if head.startswith(b"POST /cb"):
                    self.arrivals.append((time.monotonic(), json.loads(body)["to"]))
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: 11\r\n\r\n{\"ok\":true}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()


def _process_tree(pid: int) -> list[int]:
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True,
                              check=False).stdout.split()
    return [pid, *(int(c) for c in children)]


def _cpu(pids: list[int]) -> float:
    return sum(harness.process_cpu(p) for p in pids)


def _probe(base: str, loader: threading.Thread, probes: list[tuple[float, int]]) -> None:
    """Ask /readyz twice a second while the loader runs: (seconds, status) each time."""
    while loader.is_alive():
        started = time.monotonic()
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=5) as r:
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        probes.append((time.monotonic() - started, status))
        time.sleep(0.5)


def _phase_cpu(tree: list[int]) -> tuple[float, dict[str, float]]:
    """Now, and the CPU seconds so far of the API processes, the worker and PostgreSQL."""
    api, worker = tree[:-1], tree[-1]
    return time.monotonic(), {"API workers": _cpu(api), "ijaza worker": _cpu([worker]),
                              "PostgreSQL": _cpu(_postgres())}


def _postgres() -> list[int]:
    """The PostgreSQL server's processes (it runs on this machine)."""
    return [int(p) for p in subprocess.run(["pgrep", "-x", "postgres"], capture_output=True,
                                           text=True, check=False).stdout.split()]


def _cores(start: tuple[float, dict[str, float]], end: tuple[float, dict[str, float]]
           ) -> dict[str, float]:
    """Cores each kind of process used on average between two readings."""
    seconds = end[0] - start[0]
    return {name: round((end[1][name] - start[1][name]) / seconds, 2) for name in start[1]}


def _start(args: list[str], env: dict[str, str], log: Any) -> subprocess.Popen[bytes]:
    return harness.spawn([harness.IJAZA, *args], env=env, cwd=harness.ROOT, stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True)


def _wait_healthy(url: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _busiest_second(times: list[float]) -> int:
    best, first = 0, 0
    for last, t in enumerate(times):
        while t - times[first] >= 1.0:
            first += 1
        best = max(best, last - first + 1)
    return best


def run(args: argparse.Namespace) -> harness.Report:
    report = harness.Report(
        f"Eid night: {args.owners:,} owners in SA (+{args.others:,}), {args.contacts:,} "
        f"clients, {args.told:,} told (issue 15)")
    load = os.getloadavg()
    platform = Platform()
    with pg.database(args.server) as url, harness.Workdir("eid-night") as work:
        harness.use_env_in_process(url)
        sessions = harness.sessions_for(url)
        started = time.perf_counter()
        seeded = pg.eid_night(sessions, saudi=args.owners, egypt=args.others,
                              clients=args.contacts, told=args.told,
                              platform_url=platform.url)
        report.info("seeding (s)", round(time.perf_counter() - started, 1))
        key = harness.admin_key(sessions)
        owner = seeded["saudi"][0]
        slack = harness.slack_channel(sessions, owner, platform.url,
                                      signing_secret=bench_webhook.SIGNING_SECRET)
        port, scale_port = harness.free_port(), harness.free_port()
        limits = {"IJAZA_RATE_LIMITS__GENERIC": str(args.limit),
                  "IJAZA_LOG_LEVEL": "WARNING", "IJAZA_REPLAN_BATCH": str(args.batch)}
        if args.intake_lanes:
            limits["IJAZA_INTAKE_LANES"] = str(args.intake_lanes)
        api_env = harness.bench_env(url, port, IJAZA_RUN_RELAY_IN_SERVER=str(args.api_relays).lower(),
                                    **limits)
        log = (work.path / "processes.log").open("wb")
        api = _start(["serve", "--workers", str(args.api_workers), "--port", str(port)],
                     api_env, log)
        worker = _start(["worker"], harness.bench_env(url, port, **limits), log)
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(base)
        time.sleep(3)  # both uvicorn workers up, the relays announced
        at = datetime.now(UTC).isoformat()
        evaluate = work.file("evaluate.lua", harness.lua(bench_evaluate.EVALUATE_LUA % {
            "auth": harness.lua_string(f"Bearer {key}"),
            "path": harness.lua_string(f"/v1/owners/{owner}/evaluate"),
            "at": harness.lua_string(at)}))
        bodies = work.path / "hooks.tsv"
        bench_webhook.write_bodies(bodies, "E", 150_000)
        hooks = work.file("hooks.lua", harness.lua(bench_webhook.HOOK_LUA % {
            "path": harness.lua_string(f"/hooks/{slack}"),
            "file": harness.lua_string(str(bodies))}))

        def load_both(duration: int, label: str) -> list[harness.WrkResult]:
            out: list[harness.WrkResult] = []
            threads = [threading.Thread(target=lambda s=s, n=n: out.append(harness.wrk(
                f"{label}: {n}", base + "/", s, duration=duration, connections=16)))
                for s, n in ((evaluate, "evaluate"), (hooks, "slack hooks"))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return out

        load_both(3, "warm-up")
        tree = [*_process_tree(api.pid), worker.pid]
        cpu_at = _phase_cpu(tree)
        before = load_both(10, "before t0")
        cores = {"before t0": _cores(cpu_at, _phase_cpu(tree))}
        # t0: the sighting is announced
        predicted = json.loads(urllib.request.urlopen(
            f"{base}/v1/calendar/SA?year=2027", timeout=30).read())
        fitr = next(o for o in predicted["occasions"] if o["occasion"] == "eid_al_fitr")
        during: list[harness.WrkResult] = []
        loader = threading.Thread(target=lambda: during.extend(load_both(args.during,
                                                                         "during")))
        probes: list[tuple[float, int]] = []  # /readyz as a load balancer sees it meanwhile
        prober = threading.Thread(target=_probe, args=(base, loader, probes), daemon=True)
        loader.start()
        prober.start()
        cpu_at = _phase_cpu(tree)
        time.sleep(2)
        t0 = time.monotonic()
        status, made = harness.http_json("POST", base + "/v1/calendar/SA/confirmations", {
            "occasion": "eid_al_fitr",
            "date": (date.fromisoformat(fitr["date"]) + timedelta(days=1)).isoformat()},
            key=key)
        answered = time.monotonic() - t0
        assert status == 202, (status, made)
        replanned = None
        deadline = t0 + args.during + 120
        while time.monotonic() < deadline:
            _, progress = harness.http_json("GET", base + made["status_url"])
            if progress["status"] == "applied":
                replanned = time.monotonic() - t0
                break
            time.sleep(0.25)
        loader.join()
        prober.join(timeout=5)
        cores["during"] = _cores(cpu_at, _phase_cpu(tree))
        # the relays deliver the corrections at the platform's limit
        time.sleep(args.deliver)
        arrivals = sorted(t for t, _ in platform.arrivals)
        recipients = Counter(to for _, to in platform.arrivals)
        rss = {f"api pid {p}": pg.peak_rss_mb(p) for p in _process_tree(api.pid)}
        rss["worker"] = pg.peak_rss_mb(worker.pid)

        for process in (api, worker):
            process.terminate()
            process.wait(timeout=30)

        # Scale-out: evaluate alone on --workers 1, then --workers 2, with no relay and no
        # scheduler in either (the corrections still going out would share the cores).
        scale, scale_db_ms = {}, {}
        for workers in (1, 2):
            scale_env = harness.bench_env(url, scale_port, **limits)
            server = _start(["serve", "--workers", str(workers), "--port", str(scale_port)],
                            scale_env, log)
            server_url = f"http://127.0.0.1:{scale_port}"
            _wait_healthy(server_url)
            time.sleep(2 if workers > 1 else 0)  # every uvicorn worker up
            pids = _process_tree(server.pid)
            harness.wrk("warm-up", server_url + "/", evaluate, duration=2)
            cpu, database = _cpu(pids), _cpu(_postgres())
            result = harness.wrk(f"evaluate, --workers {workers}", server_url + "/", evaluate)
            per_request = 1000 / max(result.requests, 1)
            result.cpu_ms_per_req = round((_cpu(pids) - cpu) * per_request, 3)
            scale[workers] = result
            scale_db_ms[workers] = round((_cpu(_postgres()) - database) * per_request, 3)
            server.terminate()
            server.wait(timeout=30)
    total_before = sum(r.rps for r in before)
    total_during = sum(r.rps for r in during)
    report.rows = [r.as_dict() for r in (*before, *during, *scale.values())]
    report.check("confirmation answered (s)", round(answered, 3), "< 1", answered < 1)
    report.check("every owner re-planned (s)", round(replanned, 1) if replanned else "not done",
                 "< 30", replanned is not None and replanned < 30)
    report.check("corrections queued", progress["corrections_queued"], f"{seeded['told']:,}",
                 progress["corrections_queued"] == seeded["told"])
    report.check("all corrections queued (s)", round(replanned, 1) if replanned else "not done",
                 "< 60", replanned is not None and replanned < 60)
    p99 = max(r.p99_ms for r in during)
    report.check("intake p99 during the re-planning (ms)", p99, "< 100", p99 < 100)
    report.check("intake throughput during / before", harness.ratio(total_during, total_before),
                 "≥ 0.8", total_during >= 0.8 * total_before)
    unready = sum(1 for _, status in probes if status != 200)
    report.check("/readyz not 200 during the load", f"{unready} of {len(probes)}", "0",
                 unready == 0)
    report.info("/readyz slowest answer during the load (s)",
                round(max((s for s, _ in probes), default=0), 3))
    errors = sum(r.non_2xx + r.socket_errors for r in (*before, *during))
    report.check("intake errors", errors, "0", errors == 0)
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0
    rate = (len(arrivals) - 1) / span if span else 0.0
    report.check("corrections delivered (per s)", round(rate, 1),
                 f"≥ {0.9 * args.limit:g}", rate >= 0.9 * args.limit)
    busiest = _busiest_second(arrivals)
    report.info("the platform's thread at raised priority", platform.raised)
    report.check("busiest second", busiest, f"≤ {args.limit}", busiest <= args.limit)
    twice = sum(1 for n in recipients.values() if n > 1)
    report.check("corrections delivered twice", twice, "0", twice == 0)
    for name, mb in rss.items():
        report.check(f"peak RSS, {name} (MB)", mb, "< 300", mb < 300)
    for phase, used in cores.items():
        for name, value in used.items():
            report.info(f"cores used {phase}: {name}", value)
    one, two = scale[1], scale[2]
    report.info("scale-out: 2 workers / 1 worker (req/s)", harness.ratio(two.rps, one.rps))
    report.info("PostgreSQL CPU per evaluate, --workers 1 / 2 (ms)",
                f"{scale_db_ms[1]} / {scale_db_ms[2]}")
    # Ijaza's and PostgreSQL's CPU per request, both on the machine (wrk's is left out: a
    # real client is elsewhere); an upper bound, as contention is not counted.
    spent = (two.cpu_ms_per_req or 0) + scale_db_ms[2]
    for cores in (4, 8):
        report.info(f"projected evaluate req/s on {cores} cores (Ijaza + PostgreSQL CPU per "
                    "request of --workers 2)", round(cores * 1000 / spent) if spent else 0)
    report.notes.append("load average before the run: " + ", ".join(f"{x:.2f}" for x in load)
                        + f" ({os.cpu_count()} cores, shared with other engineers' work; "
                        "PostgreSQL, wrk and the fake platform run on the same cores)")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--owners", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=2_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--told", type=int, default=50_000)
    parser.add_argument("--limit", type=int, default=100, help="generic platform, messages/s")
    parser.add_argument("--batch", type=int, default=100, help="IJAZA_REPLAN_BATCH")
    parser.add_argument("--during", type=int, default=40, help="seconds of load after t0")
    parser.add_argument("--deliver", type=int, default=15,
                        help="seconds more for the relays to deliver corrections")
    parser.add_argument("--intake-lanes", type=int,
                        help="IJAZA_INTAKE_LANES: intake batches written at once per process "
                             "(default: the app's)")
    parser.add_argument("--api-workers", type=int, default=2,
                        help="uvicorn workers of the API server")
    parser.add_argument("--api-relays", action=argparse.BooleanOptionalAction, default=True,
                        help="a relay in each API worker too (beside the worker's)")
    parser.add_argument("--server", default=pg.DEFAULT_SERVER)
    parser.add_argument("--json", help="also write the report to this file")
    args = parser.parse_args()
    harness.ensure_wrk()
    report = run(args)
    harness.print_report(report, ["label", "requests", "rps", "p50_ms", "p99_ms", "non_2xx",
                                  "socket_errors", "cpu_ms_per_req"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report.as_dict(), f, indent=2)


if __name__ == "__main__":
    main()
