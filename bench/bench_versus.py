"""The intake against an earlier revision, measured in the same run: ``POST …/evaluate``
(recorded, owner on leave, a new contact per request) and signed Slack ``/hooks`` (send
mode), on this checkout and on ``--base`` (default ``e38bbaf``, the last revision with the
intake lane in front of FastAPI), alternated A B A B, next to the bare floors.

Target (issue 11): each figure of this checkout within 10 % of the base's
(``this / base ≥ 0.9``, from the median of the rounds).

    .venv/bin/python bench/bench_versus.py [--base REV] [--rounds 2]

The base runs from a temporary ``git worktree`` (removed afterwards) with this checkout's
virtualenv; both servers get databases migrated and seeded by this checkout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path

import bench_evaluate
import bench_webhook
import harness

COLUMNS = ["label", "requests", "rps", "p50_ms", "p99_ms", "non_2xx", "cpu_ms_per_req",
           "ratio"]


def worktree(rev: str, into: Path) -> Path:
    subprocess.run(["git", "worktree", "add", "--detach", "--force", str(into), rev],
                   cwd=harness.ROOT, check=True, capture_output=True, timeout=120)
    return into


def server(work: harness.Workdir, name: str, app_dir: Path | None) -> harness.Server:
    env = {"PYTHONPATH": str(app_dir)} if app_dir is not None else None
    return harness.Server("app.asgi:app", work.db_url, work, name=name, app_dir=app_dir,
                          env=env)


def evaluate_script(work: harness.Workdir, sessions: object) -> tuple[str, Path]:
    key = bench_evaluate._owner_key(sessions)
    now = harness.on_leave_now(sessions)
    at = now.astimezone(harness.ZONE_RIYADH).isoformat()
    path = "/v1/owners/bench/evaluate"
    return path, work.file("evaluate.lua", harness.lua(bench_evaluate.EVALUATE_LUA % {
        "auth": harness.lua_string(f"Bearer {key}"), "path": harness.lua_string(path),
        "at": harness.lua_string(at)}))


def slack_script(work: harness.Workdir, url: str, key: str, tag: str) -> tuple[str, Path]:
    unused = harness.free_port()
    status, channel = harness.http_json("POST", url + "/v1/owners/bench/channels", {
        "platform": "slack", "settings": {
            "signing_secret": bench_webhook.SIGNING_SECRET, "bot_token": "xoxb-bench",
            "bot_user_id": "UBOT", "bot_id": "BBOT",
            "api_base_url": f"http://127.0.0.1:{unused}"}}, key=key)
    assert status == 201, (status, channel)
    path = f"/hooks/{channel['id']}"
    status, text = bench_webhook._probe(url + path, tag + "P")
    assert status == 200, (status, text)
    data = work.path / f"slack-{tag}.tsv"
    bench_webhook.write_bodies(data, tag, bench_webhook.EVENTS)
    return path, work.file(f"slack-{tag}.lua", harness.lua(bench_webhook.HOOK_LUA % {
        "path": harness.lua_string(path), "file": harness.lua_string(str(data))}))


def run(base: str, rounds: int) -> harness.Report:
    """The intake on this checkout against ``base``, A B A B, and the floors."""
    report = harness.Report(f"Intake: this checkout against {base} (issue 11)")
    with tempfile.TemporaryDirectory(prefix="ijaza-base-") as tmp, \
            harness.Workdir("versus-base") as base_work, \
            harness.Workdir("versus-this") as this_work, \
            harness.Workdir("versus-bare") as bare_work:
        base_dir = worktree(base, Path(tmp) / "base")
        try:
            runs: dict[str, list[harness.WrkResult]] = {}
            base_sessions = harness.bench_database(base_work)
            base_key = harness.admin_key(base_sessions)
            base_eval = evaluate_script(base_work, base_sessions)
            this_sessions = harness.bench_database(this_work)
            this_key = harness.admin_key(this_sessions)
            this_eval = evaluate_script(this_work, this_sessions)
            with server(base_work, "base", base_dir) as old, \
                    server(this_work, "this", None) as new, \
                    harness.bare_server(bare_work) as bare:
                base_hook = slack_script(base_work, old.url, base_key, "B")
                this_hook = slack_script(this_work, new.url, this_key, "T")
                floors = {
                    "evaluate": harness.measure("bare POST evaluate", bare.url + this_eval[0],
                                                this_eval[1], server=bare),
                    "slack": harness.measure("bare raw-body POST", bare.url + this_hook[0],
                                             this_hook[1], server=bare)}
                for n in range(rounds):
                    for kind, (old_req, new_req) in (("evaluate", (base_eval, this_eval)),
                                                     ("slack", (base_hook, this_hook))):
                        for who, srv, (path, script) in (("base", old, old_req),
                                                         ("this", new, new_req)):
                            harness.settle(srv)
                            result = harness.measure(f"{kind} {who} round {n + 1}",
                                                     srv.url + path, script, server=srv)
                            runs.setdefault(f"{kind} {who}", []).append(result)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_dir)],
                           cwd=harness.ROOT, check=False, capture_output=True, timeout=120)
    for kind in ("evaluate", "slack"):
        floor = floors[kind]
        report.rows.append({**floor.as_dict(), "ratio": 1.0})
        medians = {}
        for who in ("base", "this"):
            for result in runs[f"{kind} {who}"]:
                report.rows.append({**result.as_dict(),
                                    "ratio": harness.ratio(result.rps, floor.rps)})
            medians[who] = statistics.median(r.rps for r in runs[f"{kind} {who}"])
        share = harness.ratio(medians["this"], medians["base"])
        report.check(f"{kind}: this / {base} (median req/s)", share, "≥ 0.9", share >= 0.9)
        p99 = statistics.median(r.p99_ms for r in runs[f"{kind} this"])
        report.info(f"{kind}: p99 ms (this, median)", round(p99, 2))
        errors = sum(r.non_2xx + r.socket_errors for r in runs[f"{kind} this"])
        report.check(f"{kind}: errors", errors, "0", errors == 0)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description="The intake against an earlier revision.")
    parser.add_argument("--base", default="e38bbaf")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    harness.ensure_wrk()
    report = run(args.base, args.rounds)
    harness.print_report(report, COLUMNS)
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2, default=str))


if __name__ == "__main__":
    main()
