"""Database plumbing: the declarative base, naming convention, engine and the one
transaction boundary (``session_scope`` / the ``SessionDep`` dependency commits or rolls
back; nobody else calls ``commit()``).
"""

from __future__ import annotations

import json
import math
import os
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    MetaData,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import QueuePool, StaticPool
from sqlalchemy.types import TypeDecorator

from app.logs import log

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@lru_cache(maxsize=4096)
def _sqlite_text(utc: datetime) -> str:
    """A UTC instant as SQLite stores it: "YYYY-MM-DD HH:MM:SS.ffffff" (the text
    SQLAlchemy's own DATETIME processor makes, field by field in Python).

    Remembered: a message writes eight instants, six of them its own arrival and the rest
    the batch's shared back_at and reply_by, and making one costs microseconds on this
    hardware (``replace`` and ``isoformat`` each build objects). Keyed on the instant in
    UTC, never in a local zone: two local times of one zone compare equal by wall clock
    even when ``fold`` makes them different instants (PEP 495).
    """
    return utc.replace(tzinfo=None).isoformat(" ", "microseconds")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores instants as UTC and always returns them timezone-aware.

    SQLite has no timezone type; PostgreSQL's ``timestamptz`` does. Both round-trip the
    same way through this type.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Any) -> Any:
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            return _sqlite_text(value.astimezone(UTC))

        return process

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSON(none_as_null=True), "postgresql")


class EncodedJSON(TypeDecorator[str]):
    """A JSON column's value that is already encoded (a ``str``): written as is. For a hot
    insert whose JSON pydantic has encoded anyway (``decisions.repository.insert_events``)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Any) -> Any:
        return None


def _json_serializer(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def ordered_id(prefix: str) -> str:
    """A new id that sorts by creation time (microseconds, then 32 random bits), e.g.
    ``c_6453a1b2c3d4e5f6a7b8c9``. A burst of new rows then adds to the right edge of each
    index on the id instead of to a random page of it: measured on a batch of 32 new
    contacts, a third of the pages written per commit and of the commit's CPU."""
    return f"{prefix}{time.time_ns() // 1000:013x}{secrets.token_hex(4)}"


AUTOCHECKPOINT_PAGES = 10_000


def sqlite_file(engine: Engine) -> str | None:
    """The database file of a file-backed SQLite engine; None for an in-memory one or
    any other database."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return database


class WalCheckpointer:
    """Copies an SQLite database's write-ahead log back into the database on a thread of
    its own, so that the writer's commits do not.

    Left to itself, the connection whose commit takes the log past its limit copies the
    whole log into the database and syncs it inside that commit: measured on the message
    intake, 20-30 µs of every message's CPU on the event loop's thread. Here a second
    connection runs a PASSIVE checkpoint every ``every`` seconds (it never blocks the
    writer or waits for it; with nothing new in the log it does nothing), and SQLite's own
    work runs without the GIL. Durability is unchanged: the log is synced before it is
    copied and the database after.

    Often and small: a checkpoint's sync of the database file holds up the writer's writes
    to the log while it lasts (the filesystem's journal), so a long one is a latency spike.
    Measured at 32 connections: every 1 s, evaluate's p99 was 26-57 ms; every 0.05 s,
    14-17 ms. With nothing new in the log a checkpoint costs a few microseconds.
    """

    def __init__(self, path: str, *, every: float = 0.05) -> None:
        self.path = path
        self.every = every
        self.runs = 0  # checkpoints run (tests)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_engine(cls, engine: Engine) -> WalCheckpointer | None:
        """One for a file-backed SQLite engine; None for anything else."""
        database = sqlite_file(engine)
        return cls(database) if database is not None else None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        connection = None
        warned = float("-inf")
        try:
            while not self._stop.wait(self.every):
                try:
                    if connection is None:
                        connection = sqlite3.connect(self.path, timeout=30,
                                                     check_same_thread=False)
                        connection.execute("PRAGMA synchronous=NORMAL")
                    self.run_once(connection)
                except sqlite3.Error as exc:  # busy, or the file went away: try again later
                    if connection is not None:
                        connection.close()
                        connection = None
                    if time.monotonic() - warned > 60:  # (once a minute, not 20 times a second)
                        warned = time.monotonic()
                        log.warning("wal checkpoint failed", error=str(exc))
        finally:
            if connection is not None:
                connection.close()

    def run_once(self, connection: Any) -> tuple[int, int]:
        """One PASSIVE checkpoint: the pages in the log, and how many of them are now in
        the database."""
        self.runs += 1
        _busy, logged, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return logged, copied


def ping(engine: Engine, *, timeout: float) -> None:
    """Ask the database one trivial question; raise if it cannot answer.

    A file-backed SQLite database is asked on a connection of its own, opened read-only:
    the engine's one pooled connection may be a request's or a job's for seconds, and its
    BEGIN IMMEDIATE would queue the question behind another process's write, so a busy
    replica looked dead to /readyz. A WAL read waits for no writer."""
    database = sqlite_file(engine)
    if database is None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return
    connection = sqlite3.connect(f"{Path(database).absolute().as_uri()}?mode=ro", uri=True,
                                 timeout=timeout,
                                 check_same_thread=False)
    try:
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
    finally:
        connection.close()


def make_engine(url: str, *, echo: bool = False, connect_timeout: float = 3.0,
                statement_timeout: float | None = None) -> Engine:
    """An engine for SQLite (WAL, foreign keys on, a busy timeout) or PostgreSQL (psycopg 3)
    with a connect timeout, a statement timeout and a TCP user timeout (seconds): a
    database that stops answering — packets dropped, not refused — fails a request within
    seconds (503) instead of holding it, and one stuck batch cannot hold up every tenant.
    ``statement_timeout`` None: none (migrations, the CLI)."""
    if url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if url in ("sqlite://", "sqlite:///:memory:"):
            kwargs["poolclass"] = StaticPool
        else:
            # One connection per process: SQLite has one writer anyway, and waiting for the
            # pool wakes the next request at once, where SQLite's busy handler sleeps in
            # steps of up to 100 ms (that made p99 latencies of seconds under load).
            kwargs.update(poolclass=QueuePool, pool_size=1, max_overflow=0, pool_timeout=30)
        engine = create_engine(url, echo=echo, json_serializer=_json_serializer, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # The server checkpoints on a thread of its own (WalCheckpointer); this is the
            # backstop for processes without one (40 MB of WAL).
            cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin_immediate(conn: Any) -> None:
            # Take the write lock at BEGIN, so two writers queue instead of one failing
            # with "database is locked" when it upgrades a read transaction.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        # pysqlite's own transaction handling must be off for the BEGIN above to count.
        @event.listens_for(engine, "connect")
        def _sqlite_no_autobegin(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        return engine
    engine = create_engine(
        url,
        echo=echo,
        json_serializer=_json_serializer,
        pool_size=10,
        max_overflow=20,
        pool_timeout=max(1.0, connect_timeout + 2),
        connect_args={
            "connect_timeout": max(2, math.ceil(connect_timeout)),  # libpq's minimum is 2 s
            "options": f"-c statement_timeout={int((statement_timeout or 0) * 1000)}",
            # Unacknowledged data on a live connection (the database went away mid-query)
            # drops it after this long, instead of TCP's retransmissions for ~15 minutes.
            "tcp_user_timeout": int((connect_timeout + 2) * 1000),
            "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3,
            "keepalives_count": 3,
        },
    )
    _guard_postgresql(engine, ping_seconds=max(2.0, connect_timeout),
                      statement_seconds=statement_timeout + 2 if statement_timeout else None)
    return engine


class Watchdog:
    """Severs a database connection that has not answered by its deadline.

    The statement timeout is the server's: a server that cannot be reached (packets
    dropped, or swallowed by something in between that still acknowledges them) never
    enforces it, and libpq has no read timeout of its own. Shutting the socket down from
    this thread wakes the waiting driver with an error (OperationalError → 503)."""

    def __init__(self, tick: float = 0.25) -> None:
        self.tick = tick
        self._deadlines: dict[int, tuple[float, int]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def arm(self, key: int, fd: int, seconds: float) -> None:
        self._deadlines[key] = (time.monotonic() + seconds, fd)
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._watch, name="db-watchdog",
                                                    daemon=True)
                    self._thread.start()

    def disarm(self, key: int) -> None:
        self._deadlines.pop(key, None)

    def _watch(self) -> None:
        while True:
            time.sleep(self.tick)
            now = time.monotonic()
            for key, (deadline, fd) in list(self._deadlines.items()):
                if deadline <= now and self._deadlines.pop(key, None) is not None:
                    _sever(fd)


def _sever(fd: int) -> None:
    try:
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # closed meanwhile


WATCHDOG = Watchdog()


def _guard_postgresql(engine: Engine, *, ping_seconds: float,
                      statement_seconds: float | None) -> None:
    """A ping on checkout and statements, each with a deadline (``Watchdog``)."""

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
        # SQLAlchemy's pool_pre_ping, with a deadline: a connection that does not answer
        # is thrown away (DisconnectionError) and a new one is made, under connect_timeout.
        WATCHDOG.arm(id(dbapi_conn), dbapi_conn.fileno(), ping_seconds)
        try:
            # The dialect's own ping (psycopg: in autocommit, so no transaction is left open)
            if not engine.dialect.do_ping(dbapi_conn):
                raise DisconnectionError("the ping was not answered")
        except DisconnectionError:
            raise
        except Exception as exc:  # noqa: BLE001 — any failure means "not this connection"
            raise DisconnectionError(str(exc)) from exc
        finally:
            WATCHDOG.disarm(id(dbapi_conn))

    if statement_seconds is None:
        return

    @event.listens_for(engine, "before_cursor_execute")
    def _arm(conn: Any, *_args: Any) -> None:
        dbapi_conn = conn.connection.dbapi_connection
        WATCHDOG.arm(id(dbapi_conn), dbapi_conn.fileno(), statement_seconds)

    @event.listens_for(engine, "after_cursor_execute")
    def _disarm(conn: Any, *_args: Any) -> None:
        WATCHDOG.disarm(id(conn.connection.dbapi_connection))

    @event.listens_for(engine, "handle_error")
    def _disarm_on_error(context: Any) -> None:
        if context.connection is not None and context.connection.connection is not None:
            dbapi_conn = context.connection.connection.dbapi_connection
            if dbapi_conn is not None:
                WATCHDOG.disarm(id(dbapi_conn))


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def insert_for(session: Session, model: Any) -> Any:
    """An INSERT that knows ``on_conflict_do_nothing`` on this session's database."""
    return insert_for_dialect(session.get_bind().dialect.name, model)


def core(session: Session) -> Connection:
    """The session's connection, for Core statements run once per batch: they skip the
    ORM's bulk machinery. Pending ORM changes are flushed first, as ``session.execute``
    would."""
    session.flush()
    return session.connection()


def insert_for_dialect(dialect: str, model: Any) -> Any:
    """An INSERT with ``on_conflict_*`` for the database kind named ``dialect``."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model)


def insert_many(connection: Connection, table: Any, rows: Sequence[dict[str, Any]], *,
                skip_key: str | None = None, returning: Sequence[str] = ()) -> list[Any] | None:
    """Insert ``rows`` (dicts with the same keys) into ``table``; a row whose ``skip_key``
    column is already taken is left out. Returns the ``returning`` columns of the rows
    inserted (in no particular order), or None where they are not returned (SQLite: the
    caller reads them back).

    On PostgreSQL the rows travel as one JSON document that
    ``json_populate_recordset`` turns back into rows of the table: one statement, where a
    pipelined executemany costs PostgreSQL and psycopg a statement per row and arrays cost
    psycopg an escape per element (``bench/replan.py``: the thousands of events and
    deliveries of a re-plan's batch). Elsewhere an executemany (and a SELECT by the caller
    for what it needs back)."""
    if not rows:
        return []
    dialect = connection.dialect
    if dialect.name != "postgresql":
        stmt = insert_for_dialect(dialect.name, table)
        if skip_key is not None:
            stmt = stmt.on_conflict_do_nothing(index_elements=[skip_key])
        connection.execute(stmt, list(rows))
        return None
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    columns = ", ".join(quote(column) for column in rows[0])
    sql = (f"INSERT INTO {name} ({columns}) SELECT {columns} "
           f"FROM json_populate_recordset(NULL::{name}, CAST(:rows AS json))")
    if skip_key is not None:
        sql += f" ON CONFLICT ({quote(skip_key)}) DO NOTHING"
    if returning:
        sql += " RETURNING " + ", ".join(quote(c) for c in returning)
    result = connection.execute(text(sql), {"rows": json.dumps(
        list(rows), ensure_ascii=False, separators=(",", ":"), default=_instant)})
    return list(result) if returning else None


def update_many(connection: Connection, table: Any, rows: Sequence[dict[str, Any]], *,
                key: str = "id") -> None:
    """Rewrite the rows of ``table`` whose ``key`` column matches each of ``rows`` (dicts with
    the same keys) with the other values given. On PostgreSQL one ``UPDATE … FROM
    json_populate_recordset`` (as ``insert_many``); elsewhere an executemany."""
    if not rows:
        return
    names = [name for name in rows[0] if name != key]
    dialect = connection.dialect
    if dialect.name != "postgresql":
        stmt = (table.update().where(table.c[key] == bindparam("_key"))
                .values({name: bindparam(name) for name in names}))
        connection.execute(stmt, [{**row, "_key": row[key]} for row in rows])
        return
    quote = dialect.identifier_preparer.quote
    name = dialect.identifier_preparer.format_table(table)
    assignments = ", ".join(f"{quote(column)} = u.{quote(column)}" for column in names)
    connection.execute(text(
        f"UPDATE {name} SET {assignments} "
        f"FROM json_populate_recordset(NULL::{name}, CAST(:rows AS json)) AS u "
        f"WHERE {name}.{quote(key)} = u.{quote(key)}"), {"rows": json.dumps(
            list(rows), ensure_ascii=False, separators=(",", ":"), default=_instant)})


def _instant(value: Any) -> str:
    """A UTC column's value in ``insert_many``'s and ``update_many``'s JSON (as ``UTCDateTime`` refuses naive ones)."""
    if not isinstance(value, datetime):
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).isoformat()


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """The transaction boundary: commit on success, roll back on any exception. Every
    transaction ends here or in ``end`` (a request's session, a batch of messages)."""
    session = factory()
    try:
        yield session
    except BaseException:
        end(session, commit=False)
        raise
    end(session, commit=True)


T = TypeVar("T")


def add(session: Session, row: T) -> T:
    """A new row, written (flushed) so that its defaults and ids are there to read."""
    session.add(row)
    session.flush()
    return row


def remove(session: Session, row: object) -> None:
    session.delete(row)
    session.flush()


def end(session: Session, *, commit: bool) -> None:
    """Commit (or roll back) and close: the one place a transaction ends."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()
