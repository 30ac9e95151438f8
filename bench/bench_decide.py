"""Where a recorded message's CPU goes, without HTTP: ``Recorder.run`` (verify, decide,
render, record, commit) on batches of 32 in this process, for API evaluations and for
signed Slack deliveries, owner on leave, a new contact each. Then the HTTP side alone:
Ijaza's evaluate route with the recorder answering at once, against the bare floor.

Together they say how much of the floor's budget each side takes (see bench/README.md,
"Why the targets are missed"). Not a target of its own; about a minute.

    .venv/bin/python bench/bench_decide.py
"""

from __future__ import annotations

import gc
import time
from typing import Any

import bench_evaluate
import bench_webhook
import harness

BATCH = 32
BATCHES = 150
WARM_BATCHES = 30
ROUNDS = 5  # the best of five: the machine is shared


def _evaluations(now: Any, tag: str) -> list[Any]:
    from app.domain.model import InboundMessage
    from app.inbound.recorder import Evaluation

    return [Evaluation("bench", InboundMessage(
        platform="api", address=f"client-{tag}-{j}@bench.example", name=f"عميل {j}",
        text="السلام عليكم، هل أنتم متاحون هذا الأسبوع؟", received_at=now),
        dry_run=False) for j in range(BATCH)]


def _deliveries(channel_id: str, tag: str) -> list[Any]:
    from app import clock
    from app.channels.base import RawRequest
    from app.inbound.recorder import Delivery

    ts = int(time.time())
    out = []
    for j in range(BATCH):
        body = bench_webhook.event_body(tag, j, ts)
        out.append(Delivery(channel_id, RawRequest(
            method="POST", url=f"http://127.0.0.1:8000/hooks/{channel_id}",
            headers={"content-type": "application/json",
                     "x-slack-request-timestamp": str(ts),
                     "x-slack-signature": bench_webhook.signed(ts, body)},
            query={}, body=body, received_at=clock.now())))
    return out


def _cpu_per_message(recorder: Any, make: Any) -> float:
    """Best of ROUNDS: CPU milliseconds per message over BATCHES batches."""
    for i in range(WARM_BATCHES):
        recorder.run(make(f"w{i}"))
    best = float("inf")
    for r in range(ROUNDS):
        batches = [make(f"r{r}b{i}") for i in range(BATCHES)]
        started = time.process_time()
        for works in batches:
            results = recorder.run(works)
            if isinstance(results[0], Exception):
                raise results[0]
        best = min(best, (time.process_time() - started) * 1000 / (BATCHES * BATCH))
    return best


STUB_APP = """
import gc
from app.main import create_app
from app.decisions.schemas import DecisionOut
from app.decisions.service import Outcome

app = create_app()
DECISION = DecisionOut.model_validate({
    "status": "off", "at": "2026-11-23T10:00:00+03:00", "window": None,
    "back_at": "2026-12-23T09:00:00+03:00", "reply_by": "2026-12-23T13:00:00+03:00",
    "upcoming": [], "urgent": False, "suppressed": None, "actions": [],
    "reply": {"text": "شكرًا لرسالتك. " * 40, "subject": "s", "language": "ar",
              "tone": "formal"}, "contact_id": "c_1", "event_id": 1})


class AtOnce:
    async def evaluate(self, owner_id, message, dry_run=False):
        return Outcome(decision=DECISION, verdict=None, reply=None, contact=None, event_id=1)


app.state.recorder = AtOnce()
gc.freeze()
gc.set_threshold(20_000, 20, 20)
"""


def run() -> harness.Report:
    """In-process CPU per recorded message, and the HTTP side alone."""
    report = harness.Report("Where the CPU goes: decision side and HTTP side")
    with harness.Workdir("decide") as work:
        sessions = harness.bench_database(work)
        now = harness.on_leave_now(sessions)
        from app.connections import service as connections
        from app.connections.schemas import ChannelCreate
        from app.db import session_scope
        from app.main import create_app
        from app.owners import repository as owners

        app = create_app()
        with session_scope(sessions) as session:
            channel_id = connections.create(session, owners.get(session, "bench"), ChannelCreate(
                platform="slack", settings={
                    "signing_secret": bench_webhook.SIGNING_SECRET, "bot_token": "xoxb-bench",
                    "bot_user_id": "UBOT", "bot_id": "BBOT",
                    "api_base_url": "http://127.0.0.1:9"}), app.state.secret_box,
                allow_private=True).id
        gc.freeze()
        gc.set_threshold(20_000, 20, 20)  # as app/asgi.py
        recorder = app.state.recorder
        evaluation = _cpu_per_message(recorder, lambda tag: _evaluations(now, tag))
        delivery = _cpu_per_message(recorder, lambda tag: _deliveries(channel_id, tag))

        key = bench_evaluate._owner_key(sessions)
        at = now.astimezone(harness.ZONE_RIYADH).isoformat()
        path = "/v1/owners/bench/evaluate"
        script = work.file("evaluate.lua", harness.lua(bench_evaluate.EVALUATE_LUA % {
            "auth": harness.lua_string(f"Bearer {key}"), "path": harness.lua_string(path),
            "at": harness.lua_string(at)}))
        work.file("stub_app.py", STUB_APP)
        stub = harness.Server("stub_app:app", work.db_url, work, name="stub", app_dir=work.path)
        with stub, harness.bare_server(work) as bare:
            http_side = harness.measure("evaluate route, recorder answering at once",
                                        stub.url + path, script, server=stub)
            floor = harness.measure("bare POST evaluate", bare.url + path, script, server=bare)
    for result in (http_side, floor):
        report.rows.append({**result.as_dict(), "ratio": harness.ratio(result.rps, floor.rps)})
    report.info("decision side, API evaluation (ms CPU / message, batches of 32)",
                round(evaluation, 3))
    report.info("decision side, signed Slack delivery (ms CPU / message, batches of 32)",
                round(delivery, 3))
    report.info("HTTP side of evaluate (ms CPU / request)", http_side.cpu_ms_per_req)
    report.info("bare floor (ms CPU / request)", floor.cpu_ms_per_req)
    report.info("0.5 × the floor allows (ms CPU / request)",
                round(2 * floor.cpu_ms_per_req, 3) if floor.cpu_ms_per_req else None)
    return report


COLUMNS = ["label", "requests", "rps", "p50_ms", "p99_ms", "non_2xx", "cpu_ms_per_req",
           "cpu_util", "ratio"]


def main() -> None:
    harness.cli(run, COLUMNS)


if __name__ == "__main__":
    main()
