"""Issue 5 (webhook): signed Slack ``message.im`` events through POST /hooks/{channel_id},
owner on leave, channel in send mode (the relay is off: deliveries only queue), a new
event and a new user per request — against the bare floor (a raw-body POST returning
``{}``) in the same run.

Targets: ≥ 0.35× the floor's throughput, p99 < 50 ms, and exactly one delivery row per
event (no duplicates, none missing).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import harness

SIGNING_SECRET = "bench-secret"
EVENTS = 60_000
WARMUP_EVENTS = 8_000

HOOK_LUA = """
local path = %(path)s
local file = %(file)s
local items = {}
local at = 0
function on_init(args)
  -- this thread's share of the pre-signed bodies: lines i with i %% nthreads == tid
  local i = 0
  for line in io.lines(file) do
    if i %% nthreads == tid then
      local ts, sig, body = string.match(line, "^(%%d+)\\t(%%S+)\\t(.*)$")
      table.insert(items, {ts = ts, sig = sig, body = body})
    end
    i = i + 1
  end
end
function request()
  at = at %% #items + 1
  local item = items[at]
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-Slack-Request-Timestamp"] = item.ts,
    ["X-Slack-Signature"] = item.sig,
  }, item.body)
end
"""


def signed(ts: int, body: bytes) -> str:
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def event_body(tag: str, n: int, ts: int) -> bytes:
    """One Slack ``event_callback`` for a DM from user ``U<tag><n>``, as Slack sends it."""
    user = f"U{tag}{n:06d}"
    return json.dumps({
        "token": "one-long-verification-token", "team_id": "T0BENCH", "api_app_id": "A0BENCH",
        "type": "event_callback", "authed_teams": ["T0BENCH"],
        "event_id": f"Ev{tag}{n:07d}", "event_time": ts,
        "event": {"type": "message", "channel": f"D{tag}{n:06d}", "user": user,
                  "text": "السلام عليكم، هل أنتم متاحون هذا الأسبوع؟",
                  "ts": f"{ts}.{n:06d}", "event_ts": f"{ts}.{n:06d}", "channel_type": "im"},
    }, ensure_ascii=False, separators=(",", ":")).encode()


def write_bodies(path: Path, tag: str, count: int) -> int:
    """``count`` lines ``ts<TAB>signature<TAB>body``, timestamped now (5-minute window)."""
    ts = int(time.time())
    with path.open("wb") as f:
        for n in range(count):
            body = event_body(tag, n, ts)
            f.write(f"{ts}\t{signed(ts, body)}\t".encode() + body + b"\n")
    return ts


def _probe(url: str, tag: str) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    ts = int(time.time())
    body = event_body(tag, 0, ts)
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "content-type": "application/json", "x-slack-request-timestamp": str(ts),
        "x-slack-signature": signed(ts, body)})
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _outbox_check(sessions: object, channel_id: str) -> dict[str, int]:
    from sqlalchemy import func, select

    from app.db import session_scope
    from app.decisions.models import EventRow
    from app.outbox.models import Delivery

    with session_scope(sessions) as session:
        events = session.scalar(select(func.count()).select_from(EventRow).where(
            EventRow.source == channel_id)) or 0
        replied = session.scalar(select(func.count()).select_from(EventRow).where(
            EventRow.source == channel_id, EventRow.replied_at.is_not(None))) or 0
        distinct_keys = session.scalar(select(func.count(func.distinct(EventRow.dedupe_key)))
                                       .where(EventRow.source == channel_id)) or 0
        deliveries = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.channel_id == channel_id)) or 0
        per_event = select(Delivery.event_id, func.count().label("n")).where(
            Delivery.channel_id == channel_id).group_by(Delivery.event_id).subquery()
        doubled = session.scalar(select(func.count()).select_from(per_event).where(
            per_event.c.n > 1)) or 0
        ids = select(EventRow.id).where(EventRow.source == channel_id).subquery()
        missing = session.scalar(select(func.count()).select_from(ids).where(
            ids.c.id.not_in(select(Delivery.event_id).where(
                Delivery.channel_id == channel_id, Delivery.event_id.is_not(None))))) or 0
    return {"events": events, "replied": replied, "distinct_event_ids": distinct_keys,
            "deliveries": deliveries, "events_with_2_plus": doubled,
            "events_without_delivery": missing}


def run() -> harness.Report:
    """Issue 5: signed Slack webhooks vs the raw-body floor, then the outbox check."""
    report = harness.Report("Slack webhook, send mode (issue 5)")
    with harness.Workdir("webhook") as work:
        sessions = harness.bench_database(work)
        key = harness.admin_key(sessions)
        harness.on_leave_now(sessions)
        unused = harness.free_port()
        with harness.ijaza_server(work) as real, harness.bare_server(work) as bare:
            status, channel = harness.http_json("POST", real.url + "/v1/owners/bench/channels", {
                "platform": "slack", "settings": {
                    "signing_secret": SIGNING_SECRET, "bot_token": "xoxb-bench",
                    "bot_user_id": "UBOT", "bot_id": "BBOT",
                    "api_base_url": f"http://127.0.0.1:{unused}"}}, key=key)
            assert status == 201, (status, channel)
            path = f"/hooks/{channel['id']}"
            status, text = _probe(real.url + path, "P")
            assert status == 200, (status, text)
            probe = _outbox_check(sessions, channel["id"])
            assert probe["deliveries"] == 1, probe
            scripts = {}
            for name, tag, count in (("warmup", "W", WARMUP_EVENTS), ("main", "M", EVENTS)):
                data = work.path / f"{name}.tsv"
                write_bodies(data, tag, count)
                scripts[name] = work.file(f"{name}.lua", harness.lua(HOOK_LUA % {
                    "path": harness.lua_string(path), "file": harness.lua_string(str(data))}))
            results = []
            for server in (bare, real):
                label = ("bare " if server is bare else "") + "POST /hooks/{channel_id}"
                harness.wrk(label + " (warm-up)", server.url + path, scripts["warmup"],
                            duration=harness.WARMUP)
                harness.settle(server)
                results.append(harness.measure(label, server.url + path, scripts["main"],
                                               warmup=0, server=server))
            floor, measured = results
        outbox = _outbox_check(sessions, channel["id"])
    r = harness.ratio(measured.rps, floor.rps)
    for result in (measured, floor):
        report.rows.append({**result.as_dict(), "ratio": harness.ratio(result.rps, floor.rps)})
    report.info("POST /hooks (Slack)", measured.headline())
    report.info("bare raw-body POST", floor.headline())
    report.check("throughput / floor", r, "≥ 0.35", r >= 0.35)
    report.check("p99 ms", round(measured.p99_ms, 2), "< 50", measured.p99_ms < 50)
    report.check("errors", measured.non_2xx + measured.socket_errors, "0",
                 measured.non_2xx + measured.socket_errors == 0)
    wrapped = measured.requests > EVENTS
    report.check("one delivery per event", f"{outbox['deliveries']:,} / {outbox['events']:,}",
                 "equal, 0 doubled, 0 missing",
                 outbox["deliveries"] == outbox["events"] == outbox["replied"]
                 and outbox["events_with_2_plus"] == 0
                 and outbox["events_without_delivery"] == 0)
    report.notes.append(f"outbox after the run: {outbox}; wrk counted "
                        f"{measured.requests:,} + warm-up requests to Ijaza"
                        + (" (the body file wrapped: repeats were deduplicated)"
                           if wrapped else ""))
    return report


COLUMNS = ["label", "requests", "rps", "p50_ms", "p90_ms", "p99_ms", "non_2xx",
           "cpu_ms_per_req", "cpu_util", "ratio"]


def main() -> None:
    harness.cli(run, COLUMNS)


if __name__ == "__main__":
    main()
