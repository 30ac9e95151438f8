"""Group commit for the message intake: the messages that arrive while one transaction is
being written are decided and recorded together in the next one.

A request hands its message (an API evaluation or a webhook delivery) to the process's
``Recorder`` and waits; the recorder takes everything waiting, decides it in one
transaction on a worker thread (``decisions.service.decide_many``: a few statements per
batch, not per message), commits, and answers each request. A request is answered only
after the commit that holds its decision, so a 2xx still means "stored". When a batch
fails, it is rolled back and its messages are decided one by one, each in its own
transaction, so that a bad message fails alone and changes nothing.

On SQLite the batch holds the app-wide database lock (one writer, one connection) and runs
on the event loop; on PostgreSQL it runs on a worker thread, and the contacts' row locks
keep one client's messages in order across replicas.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import Pool, QueuePool

from app.channels.base import RawRequest
from app.connections import repository as channels
from app.connections.service import channel_object
from app.crypto import SecretBox
from app.db import session_scope
from app.decisions import service as decisions
from app.domain.model import InboundMessage
from app.errors import NotFound
from app.inbound import service as inbound
from app.metrics import INTAKE_BATCH
from app.owners import repository as owners

MAX_BATCH = 256
UNAVAILABLE = (PoolTimeout,)  # no connection came free: the database, not a message
GATHER_TURNS = 3


@dataclass(frozen=True, slots=True)
class Evaluation:
    owner_id: str
    message: InboundMessage
    dry_run: bool


@dataclass(frozen=True, slots=True)
class Delivery:
    channel_id: str
    raw: RawRequest


Work = Evaluation | Delivery


class Recorder:
    def __init__(self, sessions: sessionmaker[Session], box: SecretBox,
                 lock: anyio.Lock | None, pool: Pool | None = None, *, lanes: int = 1) -> None:
        self.sessions = sessions
        self.box = box
        self.lock = lock
        self.pool = pool
        # Batches written at once (PostgreSQL only; SQLite has one writer). With one, the
        # intake's pace is one batch's latency: whatever slows PostgreSQL's answers (a
        # re-plan, a broadcast) slows it as much. A second lane fills the wait; the
        # contacts' row locks, taken in a sorted order, keep one client's messages one at
        # a time, as between replicas.
        self.lanes = lanes if lock is None else 1
        self._waiting: list[tuple[Work, asyncio.Future[Any]]] = []
        self._drains: set[asyncio.Task[None]] = set()
        self._gathering = 0  # drains between two batches: they will take what arrives
        self.batches = 0  # for tests and metrics: how many transactions were written

    async def evaluate(self, owner_id: str, message: InboundMessage, *,
                       dry_run: bool = False) -> decisions.Outcome:
        """The decision, recorded (unless a dry run). Raises NotFound for an unknown owner."""
        return await self._submit(Evaluation(owner_id, message, dry_run))

    async def deliver(self, channel_id: str, raw: RawRequest) -> inbound.HookResult:
        """Handle one webhook delivery. Raises NotFound (no such webhook), Unauthorized (it
        did not verify) or BadRequest (not this platform's webhook)."""
        return await self._submit(Delivery(channel_id, raw))

    async def _submit(self, work: Work) -> Any:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        self._waiting.append((work, done))
        if not self._gathering and len(self._drains) < self.lanes:
            self._drains.add(loop.create_task(self._drain()))
        # The work is recorded even if this request is cancelled (the client went away):
        # it is in the queue, and the drain is a task of its own. Cancelling cancels only
        # ``done``, which _resolve then leaves alone.
        result = await done
        if isinstance(result, BaseException):
            raise result
        return result

    async def _drain(self) -> None:
        try:
            await self._drain_waiting()
        finally:
            # In this step, not in a done-callback a turn later: a message queued
            # meanwhile would find no drain free to take it.
            self._drains.discard(asyncio.current_task())

    async def _drain_waiting(self) -> None:
        while self._waiting:
            # Let the requests already on the wire reach the queue first: a few turns
            # of the event loop cost microseconds and make the batch (and its one
            # commit) serve more of them.
            self._gathering += 1
            try:
                for _ in range(GATHER_TURNS):
                    await asyncio.sleep(0)
            finally:
                self._gathering -= 1
            batch = self._waiting[:MAX_BATCH]
            del self._waiting[:MAX_BATCH]
            if batch:
                try:
                    results = await self._run_locked([work for work, _ in batch])
                except BaseException as exc:  # noqa: BLE001 - every waiter must hear back
                    results = [exc] * len(batch)
                    if not isinstance(exc, Exception):
                        _settle(batch, results)
                        raise
                _settle(batch, results)

    async def _run_locked(self, works: list[Work]) -> list[Any]:
        if self.lock is None:  # PostgreSQL: the network round trips wait on a worker thread
            return await anyio.to_thread.run_sync(self.run, works)
        # SQLite is a library call, not a network hop: a batch is CPU work like the rest of
        # the request, and running it on the event loop (holding the one connection's lock)
        # saves the thread hand-off, which measured ~20 % of the CPU per message. Unless a
        # background job (relay, scheduler) holds the connection: then the batch waits for
        # it on a worker thread, not with the event loop.
        await self.lock.acquire()
        try:
            # Only a QueuePool makes a checkout wait (a StaticPool, for sqlite://, has no
            # checkedout() and shares its one connection without waiting).
            if isinstance(self.pool, QueuePool) and self.pool.checkedout():
                return await anyio.to_thread.run_sync(self.run, works)
            return self.run(works)
        finally:
            self.lock.release()

    def run(self, works: list[Work]) -> list[Any]:
        """Decide and record ``works`` in one transaction (blocking); on failure, one by one.
        Each result is the work's answer or the exception it raised."""
        self.batches += 1
        INTAKE_BATCH.observe(len(works))
        try:
            with session_scope(self.sessions) as session:
                return self._decide(session, works)
        except Exception as exc:  # noqa: BLE001 - answered per work below
            if len(works) == 1 or isinstance(exc, UNAVAILABLE):
                return [exc] * len(works)  # one by one would only wait again
        return [self.run([work])[0] for work in works]

    def _decide(self, session: Session, works: list[Work]) -> list[Any]:
        # Verify and parse first: a rejected delivery or an unknown owner is answered alone
        # and writes nothing; the rest is decided as one batch.
        prepared: list[Any] = []
        requests: list[decisions.Request] = []
        loaded: dict[tuple[Any, str], Any] = {}
        for work in works:
            try:
                prepared.append(self._prepare(session, work, loaded))
            except Exception as exc:  # noqa: BLE001 - this work's answer
                prepared.append(exc)
                continue
            if isinstance(prepared[-1], inbound.HookPlan):
                requests += prepared[-1].requests()
            else:
                requests.append(prepared[-1])
        session.flush()
        outcomes = iter(decisions.decide_many(session, requests))
        results: list[Any] = []
        for item in prepared:
            if isinstance(item, Exception):
                results.append(item)
            elif isinstance(item, inbound.HookPlan):
                results.append(inbound.answer(item, [next(outcomes) for _ in item.messages]))
            else:
                results.append(next(outcomes))
        return results

    def _prepare(self, session: Session, work: Work, loaded: dict[tuple[Any, str], Any]) -> Any:
        if isinstance(work, Evaluation):
            owner = _load(session, loaded, owners.get, work.owner_id)
            if owner is None:
                raise NotFound(f"No owner '{work.owner_id}'.")
            return decisions.Request(owner=owner, message=work.message, dry_run=work.dry_run)
        row = (_load(session, loaded, channels.get, work.channel_id)
               if len(work.channel_id) <= 32 else None)
        if row is None:
            raise NotFound("No such webhook.")
        return inbound.prepare(session, row, channel_object(row, self.box), work.raw,
                               owner_of=lambda owner_id: _load(session, loaded, owners.get, owner_id))


def _load(session: Session, loaded: dict[tuple[Any, str], Any],
          get: Callable[[Session, str], Any], key: str) -> Any:
    """A row by id, read once per batch (a miss is not in the identity map either)."""
    if (get, key) not in loaded:
        loaded[(get, key)] = get(session, key)
    return loaded[(get, key)]


def _settle(batch: list[tuple[Work, asyncio.Future[Any]]], results: list[Any]) -> None:
    for (_, done), result in zip(batch, results, strict=True):
        _resolve(done, result)


def _resolve(done: asyncio.Future[Any], result: Any) -> None:
    def set_result() -> None:
        if not done.done():
            done.set_result(result)

    loop = done.get_loop()
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        set_result()
    else:
        loop.call_soon_threadsafe(set_result)

