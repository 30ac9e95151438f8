"""On SQLite, two server processes on one database file: only one runs the scheduler, and
when it dies the other takes over."""

from __future__ import annotations

import time
from pathlib import Path

from app.migrate import upgrade
from tests.multiprocess.conftest import leader_pid, took_over_at, wait_for

CANDIDATE = {"IJAZA_RUN_SCHEDULER_IN_SERVER": "true", "IJAZA_RUN_RELAY_IN_SERVER": "false"}


def test_two_processes_run_one_scheduler_and_the_other_takes_over(processes,  # noqa: ANN001
                                                                   tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    upgrade(url)
    first = processes("first", "serve", db_url=url, env=CANDIDATE)
    second = processes("second", "serve", db_url=url, env=CANDIDATE)
    pids = {first.pid, second.pid}
    leader = wait_for(lambda: leader_pid(first), timeout=10, what="a leader")
    assert leader in pids and leader_pid(second) == leader  # both name the same one
    states = {p.pid: p.readyz()["scheduler"] for p in (first, second)}
    assert [s["leading"] for s in states.values()].count(True) == 1
    assert states[leader]["leading"] and all(s["candidate"] for s in states.values())
    # only the leader started the scheduler's jobs
    for process in (first, second):
        taken = process.log.read_text().count("scheduler leadership taken")
        assert taken == (1 if process.pid == leader else 0)

    dead, alive = (first, second) if first.pid == leader else (second, first)
    dead.kill()
    killed_at = time.time()
    wait_for(lambda: alive.readyz()["scheduler"]["leading"], timeout=30,
             what="the other process to take over")
    assert took_over_at(alive) - killed_at < 10  # by its own log, not our polling
    assert leader_pid(alive) == alive.pid
    assert alive.log.read_text().count("scheduler leadership taken") == 1
