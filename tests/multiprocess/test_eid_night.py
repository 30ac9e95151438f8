"""Eid night with several processes on one database (PostgreSQL in CI's database stage,
SQLite in the first): two servers and two workers; 5,000 clients due for an advance
notice, the scheduler's leader SIGKILLed while it plans them; then a confirmation applied
while both servers take messages."""

from __future__ import annotations

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from app.contacts.models import Contact
from app.decisions.models import EventRow
from app.outbox.models import Delivery
from tests.multiprocess.conftest import leader_pid, took_over_at, wait_for

OWNERS = [f"eg{i:02d}" for i in range(20)]
CLIENTS_EACH = 250  # 5,000 in all
ALWAYS = {d: ["00:00-24:00"] for d in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")}
# 100 batches of 50 with a 50 ms breath between them: the plan takes seconds whatever the
# machine's speed, so the leader is surely killed in the middle of it.
COMMON = {"IJAZA_BROADCAST_EVERY_SECONDS": "1", "IJAZA_NOTICE_BATCH": "50",
          "IJAZA_NOTICE_PAUSE_SECONDS": "0.05",
          "IJAZA_REPLAN_BATCH": "2", "IJAZA_RATE_LIMITS__GENERIC": "3000"}
# The first leader sends nothing itself: a SIGKILL mid-send could send a message twice
# (the outbox promises at least once), and this test counts exactly once.
PLANNER = COMMON | {"IJAZA_RUN_SCHEDULER_IN_SERVER": "true", "IJAZA_RUN_RELAY_IN_SERVER": "false"}
SERVER = COMMON | {"IJAZA_RUN_SCHEDULER_IN_SERVER": "true", "IJAZA_RUN_RELAY_IN_SERVER": "true"}


def _call(url: str, method: str = "GET", body: Any = None, *, key: str | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode()
                                     if body is not None else None)
    request.add_header("content-type", "application/json")
    for name, value in ({"Authorization": f"Bearer {key}"} if key else {}).items():
        request.add_header(name, value)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _seed(client, admin, sessions, platform_url: str) -> set[str]:  # noqa: ANN001
    now = datetime.now(UTC)
    leave = {"kind": "off", "starts_at": (now + timedelta(days=3)).isoformat(),
             "ends_at": (now + timedelta(days=10)).isoformat(), "notice_days": 7,
             "title": {"en": "Family leave"}}
    rows, addresses = [], set()
    for owner_id in OWNERS:
        made = client.post("/v1/owners", headers=admin, json={
            "id": owner_id, "name": f"Owner {owner_id}", "timezone": "Africa/Cairo",
            "country": "EG", "languages": ["en"], "tone": "formal", "working_hours": ALWAYS,
            "response_time": "PT4H"})
        assert made.status_code == 201, made.text
        channel = client.post(f"/v1/owners/{owner_id}/channels", headers=admin, json={
            "platform": "generic", "settings": {"signing_secret": "g",
                                                "callback_url": platform_url + "/cb"}})
        assert channel.status_code == 201, channel.text
        for i in range(CLIENTS_EACH):
            address = f"{owner_id}-client-{i:03d}"
            addresses.add(address)
            rows.append({"id": f"c_{address}", "owner_id": owner_id, "channel": "generic",
                         "address": address, "name": f"Client {i}", "language": "en",
                         "client_key": f"k_{address}", "vip": False, "opted_out": False,
                         "last_channel_id": channel.json()["id"],
                         "last_seen_at": now - timedelta(days=1), "reply_context": {},
                         "created_at": now, "updated_at": now})
        assert client.post(f"/v1/owners/{owner_id}/windows", json=leave,
                           headers=admin).status_code == 201
    with sessions.begin() as session:  # all at once: the leader plans as soon as it sees them
        session.execute(insert(Contact), rows)
    return addresses


def _deliveries(sessions, kind: str, status: str | None = None) -> int:  # noqa: ANN001
    with sessions() as session:
        stmt = select(func.count()).select_from(Delivery).where(Delivery.kind == kind)
        if status is not None:
            stmt = stmt.where(Delivery.status == status)
        return session.scalar(stmt) or 0


def _niceness(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_one_leader_plans_every_notice_once_through_a_crash_and_a_confirmation(
        client, admin, admin_key, sessions, platform, processes, db_url) -> None:  # noqa: ANN001
    planner = processes("planner", "serve", db_url=db_url, env=PLANNER)
    wait_for(lambda: leader_pid(planner) == planner.pid, timeout=10, what="the first leader")
    server = processes("server", "serve", db_url=db_url, env=SERVER)
    workers = [processes(f"worker{i}", "worker", db_url=db_url, env=COMMON) for i in (1, 2)]
    for worker in workers:
        wait_for(lambda w=worker: "scheduler candidate" in w.log.read_text(), timeout=60,
                 what=f"{worker.name} to campaign")
    # background work gives way to the intake where they share cores (IJAZA_WORKER_NICE)
    assert [_niceness(w.pid) for w in workers] == [5, 5]
    assert _niceness(server.pid) == 0
    addresses = _seed(client, admin, sessions, platform.url)

    # the leader is killed while it plans: some notices committed, not all
    planned = wait_for(lambda: _deliveries(sessions, "notice"), timeout=30,
                       what="the first notices", every=0.01)
    planner.kill()
    killed_at = time.time()
    assert planned < len(addresses), "the leader finished before it could be killed"
    others = [server, *workers]
    successor = wait_for(lambda: next((p for p in others if took_over_at(p)), None),
                         timeout=30, what="a new leader")
    assert took_over_at(successor) - killed_at < 10  # by its own log, not our polling
    assert sum(1 for p in others if took_over_at(p)) == 1
    wait_for(lambda: leader_pid(server) == successor.pid, timeout=30, what="/readyz to name it")
    assert server.readyz()["scheduler"]["leading"] is (leader_pid(server) == server.pid)

    # the new leader finishes the plan; the relays send each notice exactly once
    wait_for(lambda: _deliveries(sessions, "notice", "sent") == len(addresses), timeout=90,
             what="every notice sent")
    assert _deliveries(sessions, "notice") == len(addresses)
    assert set(platform.received) == addresses
    assert max(platform.received.values()) == 1
    logs = [p.log.read_text() for p in (planner, server, *workers)]
    assert sum(text.count("scheduler leadership taken") for text in logs) == 2  # one each

    # a confirmation applied while both servers (the planner back up) take messages
    restarted = processes("planner-again", "serve", db_url=db_url, env=PLANNER)
    fitr = next(o for o in client.get("/v1/calendar/EG", params={"year": 2027}).json()[
        "occasions"] if o["occasion"] == "eid_al_fitr")
    at = f"{fitr['date']}T11:00:00+02:00"
    numbers = count()
    answers: list[tuple[float, str, int, Any]] = []

    def message(url: str, owner_id: str) -> None:
        n = next(numbers)
        sent = time.monotonic()
        status, body = _call(f"{url}/v1/owners/{owner_id}/evaluate", "POST", {
            "contact": {"address": f"eid-{n}@example.org"}, "text": "Eid Mubarak",
            "received_at": at}, key=admin_key, headers={"Idempotency-Key": f"eid-{n}"})
        answers.append((sent, owner_id, status, body.get("back_at") if status == 200 else body))

    def round_of_messages(pool: ThreadPoolExecutor) -> None:
        list(pool.map(lambda i: message((server.url, restarted.url)[i % 2], OWNERS[i % 20]),
                      range(40)))

    old = {o: client.post(f"/v1/owners/{o}/evaluate", headers=admin, json={
        "contact": {"address": "probe@example.org"}, "text": "hi", "received_at": at,
        "dry_run": True}).json()["back_at"] for o in OWNERS}
    with ThreadPoolExecutor(8) as pool:
        round_of_messages(pool)
        later = (date.fromisoformat(fitr["date"]) + timedelta(days=1)).isoformat()
        status, made = _call(f"{server.url}/v1/calendar/EG/confirmations", "POST",
                             {"occasion": "eid_al_fitr", "date": later}, key=admin_key)
        assert status == 202, made
        while _call(server.url + made["status_url"])[1]["status"] == "applying":
            round_of_messages(pool)
        applied_at = time.monotonic()
        round_of_messages(pool)
    final = _call(restarted.url + made["status_url"])[1]
    assert (final["status"], final["owners_done"]) == ("applied", len(OWNERS))
    new = {o: client.post(f"/v1/owners/{o}/evaluate", headers=admin, json={
        "contact": {"address": "probe@example.org"}, "text": "hi", "received_at": at,
        "dry_run": True}).json()["back_at"] for o in OWNERS}
    assert all(old[o] != new[o] for o in OWNERS)
    assert all(status == 200 for _, _, status, _ in answers), answers
    # each message decided against its owner's old plan or its new one, never a mixture,
    # and against the new one once the re-planning was over
    assert all(back_at in (old[o], new[o]) for _, o, _, back_at in answers)
    assert all(back_at == new[o] for sent, o, _, back_at in answers if sent > applied_at)
    assert any(back_at == old[o] for _, o, _, back_at in answers)
    # none lost, none recorded twice
    with sessions() as session:
        recorded = session.scalars(select(EventRow.dedupe_key).where(
            EventRow.kind == "inbound", EventRow.owner_id.in_(OWNERS))).all()
    assert len(recorded) == len(answers) == len(set(recorded))
