"""Issue 2: the plain API — GET /v1/owners/{owner} and POST /v1/owners/{owner}/windows.

32 connections, 10 s each, against Ijaza (SQLite, one uvicorn worker) and against the
bare-FastAPI floor validating the same bodies in the same run. Prints req/s, p50, p99 and
the ratio to the floor.
"""

from __future__ import annotations

import calendar
from datetime import datetime

import harness

OVERLOAD = 64  # connections: more than anyio's 40 worker threads

WINDOW_LUA = """
local base = %(base)d
local headers = {["Content-Type"] = "application/json", ["Authorization"] = %(auth)s}
local path = %(path)s
function request()
  local n = next_n()
  -- distinct, valid half-hour windows, one hour apart, in 2031 onwards
  local s = base + n * 3600
  local body = '{"kind":"off","starts_at":"' .. os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", s) ..
    '","ends_at":"' .. os.date("!%%Y-%%m-%%dT%%H:%%M:%%SZ", s + 1800) ..
    '","title":{"en":"Bench ' .. n .. '","ar":"قياس ' .. n .. '"},"notice_days":0}'
  return wrk.format("POST", path, headers, body)
end
"""


def run() -> harness.Report:
    """Issue 2: GET owner and POST window vs the bare floor."""
    report = harness.Report("API: GET owner, POST window (issue 2)")
    with harness.Workdir("api") as work:
        sessions = harness.bench_database(work)
        key = harness.admin_key(sessions)
        base = calendar.timegm(datetime(2031, 1, 1).timetuple())
        script = work.file("window.lua", harness.lua(WINDOW_LUA % {
            "base": base, "auth": harness.lua_string(f"Bearer {key}"),
            "path": harness.lua_string("/v1/owners/bench/windows")}))
        auth = [f"Authorization: Bearer {key}"]
        with harness.ijaza_server(work) as real, harness.bare_server(work) as bare:
            status, body = harness.http_json("GET", real.url + "/v1/owners/bench", key=key)
            assert status == 200, (status, body)
            cases = [
                ("GET /v1/owners/{owner}", "/v1/owners/bench", None, auth),
                ("POST /v1/owners/{owner}/windows", "/v1/owners/bench/windows", script, ()),
            ]
            for name, path, lua_script, headers in cases:
                floor = harness.measure(f"bare {name}", bare.url + path, lua_script,
                                        headers=headers, server=bare)
                real_run = harness.measure(name, real.url + path, lua_script, headers=headers,
                                           server=real)
                r = harness.ratio(real_run.rps, floor.rps)
                report.rows.append({**real_run.as_dict(), "floor_rps": round(floor.rps, 1),
                                    "floor_p99_ms": round(floor.p99_ms, 2),
                                    "floor_cpu_ms": floor.cpu_ms_per_req, "ratio": r})
                report.info(name, real_run.headline())
                report.info(f"bare {name}", floor.headline())
                report.info(f"{name}: ratio to the floor", r)
                report.check(f"{name}: errors", real_run.non_2xx + real_run.socket_errors,
                             "0", real_run.non_2xx + real_run.socket_errors == 0)
            # More requests in flight than the server's thread pool has threads (40):
            # does it keep serving? (Last: a server that stalls is not reused.)
            over = harness.measure(f"GET /v1/owners/{{owner}}, {OVERLOAD} connections",
                                   real.url + "/v1/owners/bench", warmup=0, server=real,
                                   connections=OVERLOAD, headers=auth, allow_empty=True)
            report.rows.append(over.as_dict())
            report.info(over.label, over.headline()
                        + f", {over.requests} requests, {over.socket_errors} timeouts/errors")
            at_32 = report.rows[0]["rps"]
            report.check(f"{OVERLOAD} connections: keeps serving",
                         f"{over.rps:,.0f} req/s ({over.requests:,} answered in "
                         f"{over.duration_s:.0f} s), {over.non_2xx + over.socket_errors} errors",
                         f"≥ half the 32-connection rate ({at_32 / 2:,.0f} req/s), 0 errors",
                         over.rps >= at_32 / 2 and over.non_2xx + over.socket_errors == 0)
    return report


COLUMNS = ["label", "requests", "rps", "p50_ms", "p90_ms", "p99_ms", "non_2xx",
           "cpu_ms_per_req", "cpu_util", "floor_rps", "floor_p99_ms", "floor_cpu_ms", "ratio"]


def main() -> None:
    harness.cli(run, COLUMNS)


if __name__ == "__main__":
    main()
