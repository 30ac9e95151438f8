"""Measured what-ifs behind bench/README.md's findings: GET owner and recorded evaluate on
the app as it is and with one change (``bench/whatif_app.py``): requests queued on the event
loop (``gate``) or read transactions without ``BEGIN IMMEDIATE`` (``deferred``, GET only).
Not part of ``run_all.py`` (about two minutes).

    .venv/bin/python bench/whatif.py
"""

from __future__ import annotations

import bench_evaluate
import harness

CASES = [  # (variant, case, connections)
    ("as is", "GET owner", 32), ("deferred", "GET owner", 32), ("gate", "GET owner", 32),
    ("as is", "GET owner", 64), ("gate", "GET owner", 64),
    ("as is", "POST evaluate", 32), ("gate", "POST evaluate", 32),
]


def run() -> harness.Report:
    """What-ifs: the SQLite write lock taken in threads vs queued on the event loop."""
    report = harness.Report("What-ifs: where the tail latency comes from")
    with harness.Workdir("whatif") as work:
        sessions = harness.bench_database(work)
        key = harness.admin_key(sessions)
        now = harness.on_leave_now(sessions)
        at = now.astimezone(harness.ZONE_RIYADH).isoformat()
        evaluate = work.file("evaluate.lua", harness.lua(bench_evaluate.EVALUATE_LUA % {
            "auth": harness.lua_string(f"Bearer {key}"),
            "path": harness.lua_string("/v1/owners/bench/evaluate"),
            "at": harness.lua_string(at)}))
        for variant, case, connections in CASES:
            whatif = "" if variant == "as is" else variant
            server = harness.Server("whatif_app:app", work.db_url, work, name=f"whatif-{whatif}",
                                    app_dir=harness.BENCH, env={"BENCH_WHATIF": whatif})
            with server:
                path = "/v1/owners/bench" if case == "GET owner" else "/v1/owners/bench/evaluate"
                script = None if case == "GET owner" else evaluate
                result = harness.measure(f"{case}, {variant}", server.url + path, script,
                                         server=server, connections=connections,
                                         headers=[f"Authorization: Bearer {key}"],
                                         warmup=0 if connections > 40 else harness.WARMUP,
                                         allow_empty=True)
            report.rows.append({**result.as_dict(), "variant": variant, "case": case,
                                "connections": connections})
    return report


COLUMNS = ["case", "variant", "connections", "requests", "rps", "p50_ms", "p90_ms", "p99_ms",
           "non_2xx", "socket_errors", "cpu_ms_per_req"]


def main() -> None:
    harness.cli(run, COLUMNS)


if __name__ == "__main__":
    main()
