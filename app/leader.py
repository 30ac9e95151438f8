"""Leadership of scheduled work: of every process that could run the scheduler (each
``ijaza serve`` worker with ``IJAZA_RUN_SCHEDULER_IN_SERVER``, each ``ijaza worker``, on any
number of machines), exactly one does at a time.

PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a connection
of its own, outside the pool. The database releases it the moment that connection ends —
a process killed with SIGKILL closes its socket, the server ends its backend and frees
the lock — so the next candidate to ask (every ``POLL_SECONDS``) takes over. TCP
keepalives bound the case where the leader's machine vanishes without closing anything.
The leader checks its connection every ``POLL_SECONDS`` and stops its jobs when it is gone.

SQLite (one machine): an exclusive ``flock`` on ``<database>.leader``, which the kernel
releases when the process ends, however it ends. The file names the leader.

Who leads is read from where the lock lives: ``pg_locks`` joined to ``pg_stat_activity``
(the lock holder's ``application_name``), or the lock file.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from app.db import sqlite_file
from app.logs import log

# The advisory lock's two keys: "ijza" and the scheduler (pg_try_advisory_lock(int, int)).
LOCK_CLASS = 0x696A7A61
LOCK_SCHEDULER = 1
POLL_SECONDS = 2.0
APPLICATION_PREFIX = "ijaza-leader:"


def identity(role: str) -> str:
    """This process as /readyz names it: ``host:pid:role``."""
    return f"{socket.gethostname()}:{os.getpid()}:{role}"


class Leadership:
    """A candidate for the scheduler's leadership. ``lead(run)`` campaigns for ever: while
    this process holds the lock, ``run()`` runs; when the lock is lost, it is cancelled
    and the campaign goes on."""

    def __init__(self, engine: Engine, *, role: str, poll: float = POLL_SECONDS) -> None:
        self.engine = engine
        self.identity = identity(role)
        self.poll = poll
        self.held = False
        self._lock: _Lock = (_AdvisoryLock(engine, self.identity)
                             if engine.dialect.name == "postgresql"
                             else _FileLock(engine, self.identity))

    async def lead(self, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        log.info("scheduler candidate", process=self.identity)
        try:
            while True:
                if not await asyncio.to_thread(self._lock.acquire):
                    await asyncio.sleep(self.poll)
                    continue
                self.held = True
                log.info("scheduler leadership taken", process=self.identity)
                task = asyncio.create_task(run(), name="scheduler-jobs")
                try:
                    while not task.done() and await asyncio.to_thread(self._lock.alive):
                        with contextlib.suppress(asyncio.TimeoutError):
                            await asyncio.wait_for(asyncio.shield(task), self.poll)
                finally:
                    self.held = False
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
                    await asyncio.to_thread(self._lock.release)
                if task.done() and not task.cancelled() and task.exception() is not None:
                    log.error("scheduler stopped", error=repr(task.exception()))
                log.warning("scheduler leadership lost", process=self.identity)
                await asyncio.sleep(self.poll)  # a scheduler that fails at once must not spin
        finally:
            self.held = False
            self._lock.release()


def current_leader(engine: Engine) -> str | None:
    """The process that holds the scheduler's leadership now, as ``identity`` names it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            name = conn.execute(text(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a "
                "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND l.classid = :c AND l.objid = :o AND l.objsubid = 2"),
                {"c": LOCK_CLASS, "o": LOCK_SCHEDULER}).scalar()
        return name.removeprefix(APPLICATION_PREFIX) if name else None
    path = _lock_path(engine)
    if path is None:
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return Path(path).read_text().strip() or None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None  # the file is there, nobody holds it
    finally:
        os.close(fd)


class _Lock:
    def acquire(self) -> bool:
        raise NotImplementedError

    def alive(self) -> bool:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError


class _AdvisoryLock(_Lock):
    def __init__(self, engine: Engine, name: str) -> None:
        # A connection of its own (NullPool): the lock lives exactly as long as it does.
        self._engine = create_engine(
            engine.url, poolclass=NullPool,
            connect_args={"application_name": (APPLICATION_PREFIX + name)[:63],
                          "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
                          "keepalives_count": 2, "connect_timeout": 5})
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT")
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:c, :o)"),
                                     {"c": LOCK_CLASS, "o": LOCK_SCHEDULER}).scalar()
        except Exception as exc:  # the database is away: campaign again later
            log.warning("leadership: cannot reach the database", error=str(exc))
            self.release()
            return False
        return bool(got)

    def alive(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()  # ends the session, and with it the lock


class _FileLock(_Lock):
    def __init__(self, engine: Engine, name: str) -> None:
        self._path = _lock_path(engine)
        self._name = name
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._path is None:
            return True  # an in-memory database lives in this process alone
        if self._fd is not None:
            return True
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, self._name.encode(), 0)
        self._fd = fd
        return True

    def alive(self) -> bool:
        return self._path is None or self._fd is not None

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the last descriptor drops the flock


def _lock_path(engine: Engine) -> str | None:
    database = sqlite_file(engine)
    return f"{database}.leader" if database is not None else None
