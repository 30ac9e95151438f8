"""``deps.in_own_session(share=…)``: requests that miss an expired cache at the same moment
ask the database once, and a caller that goes away does not take the answer from others."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import text
from starlette.requests import Request

from app.deps import in_own_session


def _request(app) -> Request:  # noqa: ANN001
    return Request({"type": "http", "app": app, "headers": []})


def test_concurrent_reads_with_one_key_run_once(app) -> None:  # noqa: ANN001
    calls: list[str] = []
    lock = threading.Lock()

    def work(label: str):  # noqa: ANN202
        def read(session):  # noqa: ANN001, ANN202
            with lock:
                calls.append(label)
            time.sleep(0.05)  # long enough for every caller to arrive while it runs
            return session.execute(text("select 41 + 1")).scalar_one()
        return read

    async def go() -> list[int]:
        request = _request(app)
        shared = [in_own_session(request, work("a"), share="a") for _ in range(20)]
        alone = [in_own_session(request, work("b"), share="b"),
                 in_own_session(request, work("none"))]
        results = await asyncio.gather(*shared, *alone)
        results.append(await in_own_session(request, work("a"), share="a"))  # read again
        return results

    assert asyncio.run(go()) == [42] * 23
    assert sorted(calls) == ["a", "a", "b", "none"]
    assert app.state.shared_reads == {}


def test_a_caller_that_goes_away_leaves_the_answer_to_the_others(app) -> None:  # noqa: ANN001
    def slow(session):  # noqa: ANN001, ANN202
        time.sleep(0.1)
        return session.execute(text("select 7")).scalar_one()

    async def go() -> int:
        request = _request(app)
        first = asyncio.create_task(in_own_session(request, slow, share="k"))
        await asyncio.sleep(0.01)
        second = asyncio.create_task(in_own_session(request, slow, share="k"))
        await asyncio.sleep(0.01)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        return await second

    assert asyncio.run(go()) == 7


def test_an_error_reaches_every_caller(app) -> None:  # noqa: ANN001
    def broken(session):  # noqa: ANN001, ANN202
        time.sleep(0.02)
        raise LookupError("no such thing")

    async def go() -> list[object]:
        request = _request(app)
        return await asyncio.gather(*(in_own_session(request, broken, share="e")
                                      for _ in range(3)), return_exceptions=True)

    outcomes = asyncio.run(go())
    assert [type(o) for o in outcomes] == [LookupError] * 3
