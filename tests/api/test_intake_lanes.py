"""Intake lanes: on PostgreSQL a process may write more than one group-commit batch at once
(``IJAZA_INTAKE_LANES``), never more than that, and every message is answered once."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

import anyio
import pytest

from app.domain.model import InboundMessage
from app.inbound.recorder import Recorder, Work

AT = datetime(2026, 5, 27, 8, 0, tzinfo=UTC)


class Lanes:
    """A stand-in for ``Recorder.run`` that holds each batch until released and notes how
    many were being written at once."""

    def __init__(self, wanted: int) -> None:
        self.lock = threading.Lock()
        self.running = self.peak = 0
        self.entered = threading.Event()  # a batch is being written
        self.reached = threading.Event()  # ``wanted`` batches are being written
        self.release = threading.Event()
        self.wanted = wanted
        self.batches: list[list[str]] = []

    def run(self, works: list[Work]) -> list[str]:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.batches.append([w.owner_id for w in works])  # type: ignore[union-attr]
            self.entered.set()
            if self.running >= self.wanted:
                self.reached.set()
        assert self.release.wait(timeout=10)
        with self.lock:
            self.running -= 1
        return [f"done:{w.owner_id}" for w in works]  # type: ignore[union-attr]


def _message(n: int) -> InboundMessage:
    return InboundMessage(platform="api", address=f"c{n}@example.org", text="hi", received_at=AT)


@pytest.mark.parametrize("lanes", [1, 2])
def test_no_more_batches_at_once_than_lanes_and_each_message_answered_once(lanes: int) -> None:
    recorder = Recorder(None, None, None, lanes=lanes)  # type: ignore[arg-type]  # PostgreSQL: no lock
    lanes_seen = Lanes(wanted=lanes)
    recorder.run = lanes_seen.run  # type: ignore[method-assign]

    async def go() -> list[str]:
        first = [asyncio.create_task(recorder.evaluate(f"a{n}", _message(n))) for n in range(3)]
        assert await anyio.to_thread.run_sync(lanes_seen.entered.wait, 10)
        later = [asyncio.create_task(recorder.evaluate(f"b{n}", _message(n))) for n in range(3)]
        # with a second lane, the second batch is written while the first still is
        assert await anyio.to_thread.run_sync(lanes_seen.reached.wait, 10)
        more = [asyncio.create_task(recorder.evaluate(f"c{n}", _message(n))) for n in range(3)]
        for _ in range(20):  # let any drain that would wrongly start get going
            await asyncio.sleep(0)
        assert lanes_seen.peak == lanes  # the third group waits for a lane
        lanes_seen.release.set()
        return list(await asyncio.gather(*first, *later, *more))

    answers = asyncio.run(go())
    expected = [f"done:{g}{n}" for g in "abc" for n in range(3)]
    assert answers == expected
    assert lanes_seen.peak == lanes
    written = [owner for batch in lanes_seen.batches for owner in batch]
    assert sorted(written) == sorted(expected_owner[5:] for expected_owner in expected)


def test_sqlite_keeps_one_lane_whatever_is_asked() -> None:
    recorder = Recorder(None, None, anyio.Lock(), lanes=4)  # type: ignore[arg-type]
    assert recorder.lanes == 1
