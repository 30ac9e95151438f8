"""Run every benchmark (each in its own process), write ``bench/results/latest.json`` and
print one markdown table of the targets. ``make bench`` runs this.

    .venv/bin/python bench/run_all.py [--only api,evaluate]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import harness

SCENARIOS = {
    "api": "bench_api.py",
    "calendar": "bench_calendar.py",
    "evaluate": "bench_evaluate.py",
    "webhook": "bench_webhook.py",
    "relay": "bench_relay.py",
    "crash": "bench_crash.py",
    "decide": "bench_decide.py",
    "http-client": "bench_http_client.py",
}
RESULTS = harness.BENCH / "results"
SCENARIO_TIMEOUT = 600  # seconds


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(),
            "platform": platform.platform()}


def revision() -> str:
    """The commit measured, marked when the app has uncommitted changes."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=harness.ROOT, capture_output=True, text=True,
                              timeout=30, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "app", "config", "migrations")
    return head + (" + uncommitted app changes" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser(description="Run all Ijaza benchmarks.")
    parser.add_argument("--only", help="comma-separated subset of: " + ", ".join(SCENARIOS))
    args = parser.parse_args()
    chosen = [s.strip() for s in args.only.split(",")] if args.only else list(SCENARIOS)
    unknown = [s for s in chosen if s not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(unknown)}")
    harness.ensure_wrk()
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    reports, failures = [], []
    for name in chosen:
        out = RESULTS / f"{name}.json"
        out.unlink(missing_ok=True)
        print(f"\n=== {name} ({SCENARIOS[name]})", flush=True)
        t0 = time.monotonic()
        try:
            done = subprocess.run([harness.PYTHON, str(harness.BENCH / SCENARIOS[name]),
                                   "--json", str(out)], cwd=harness.ROOT,
                                  timeout=SCENARIO_TIMEOUT, check=False)
            code = done.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
        if code != 0 or not out.exists():
            failures.append(name)
            reports.append({"scenario": name, "name": name, "error": f"exit {code}", "rows": [],
                            "checks": [], "notes": []})
            continue
        report = json.loads(out.read_text())
        report["name"] = name
        report["seconds"] = round(time.monotonic() - t0, 1)
        reports.append(report)
    summary = {"date": datetime.now(UTC).date().isoformat(), "revision": revision(),
               "machine": machine(),
               "seconds": round(time.monotonic() - started, 1), "reports": reports}
    (RESULTS / "latest.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))

    rows = []
    for report in reports:
        if report.get("error"):
            rows.append({"scenario": report["name"], "what": "the run",
                         "value": report["error"], "target": "completes", "ok": False})
        for check in report["checks"]:
            ok = "info" if check["ok"] is None else check["ok"]
            rows.append({**check, "scenario": report["name"], "ok": ok})
    print(f"\n# Ijaza benchmarks — {summary['date']}, {summary['machine']['cores']} cores, "
          f"{summary['machine']['cpu']}, {summary['revision']}, {summary['seconds']:.0f} s\n")
    print(harness.table(rows, ["scenario", "what", "value", "target", "ok"]))
    print(f"\nresults: {RESULTS / 'latest.json'}")
    if failures:
        print(f"scenarios that did not complete: {', '.join(failures)}")
        sys.exit(2)


if __name__ == "__main__":
    main()
