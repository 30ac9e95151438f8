"""The write-ahead log is copied back into an SQLite database on a thread of its own."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from app.db import AUTOCHECKPOINT_PAGES, WalCheckpointer, make_engine


def _write(path: Path, rows: int) -> None:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x TEXT)")
    for i in range(rows):
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (?)", (f"{i:05d}" * 200,))
    engine.dispose()


def test_only_a_file_backed_sqlite_database_gets_one(tmp_path: Path) -> None:
    assert WalCheckpointer.for_engine(make_engine("sqlite://")) is None
    assert WalCheckpointer.for_engine(make_engine("sqlite:///:memory:")) is None
    assert WalCheckpointer.for_engine(
        make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres")) is None
    found = WalCheckpointer.for_engine(make_engine(f"sqlite:///{tmp_path / 'a.db'}"))
    assert found is not None and found.path == str(tmp_path / "a.db")


def test_the_writer_leaves_the_log_to_it_and_it_copies_all_of_it(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        limit = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
    engine.dispose()
    assert limit == AUTOCHECKPOINT_PAGES
    _write(path, 0)
    # A reader that stays open: closing the writer then does not checkpoint on its own.
    reader = sqlite3.connect(path)
    assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
    _write(path, 200)
    assert (path.with_name("w.db-wal")).stat().st_size > 200 * 1000
    checkpointer = WalCheckpointer(str(path))
    connection = sqlite3.connect(path)
    logged, copied = checkpointer.run_once(connection)
    assert logged > 0 and copied == logged
    assert checkpointer.run_once(connection) == (logged, copied)  # nothing new: nothing done
    connection.close()
    reader.close()
    check = sqlite3.connect(path)
    assert check.execute("SELECT count(*), min(x), max(x) FROM t").fetchone() == (
        200, "00000" * 200, "00199" * 200)
    check.close()


def test_its_thread_runs_until_stopped(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    _write(path, 5)
    checkpointer = WalCheckpointer(str(path), every=0.01)
    checkpointer.start()
    deadline = time.monotonic() + 5
    while checkpointer.runs < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    checkpointer.stop()
    assert checkpointer.runs >= 3
    assert time.monotonic() - started < 1
    assert checkpointer._thread is not None and not checkpointer._thread.is_alive()


def test_the_server_runs_one_while_it_serves(settings, sessions) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(settings, background=False)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        checkpointer = app.state.checkpointer
        if app.state.engine.dialect.name == "sqlite":
            assert checkpointer is not None and checkpointer._thread.is_alive()
        else:
            assert checkpointer is None
    if checkpointer is not None:
        assert not checkpointer._thread.is_alive()
    app.state.engine.dispose()


def test_a_database_that_cannot_be_opened_is_tried_again_quietly(tmp_path: Path) -> None:
    checkpointer = WalCheckpointer(str(tmp_path / "gone" / "x.db"), every=0.01)
    checkpointer.start()
    time.sleep(0.1)
    (tmp_path / "gone").mkdir()
    _write(tmp_path / "gone" / "x.db", 3)
    deadline = time.monotonic() + 5
    while checkpointer.runs < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    checkpointer.stop()
    assert checkpointer.runs >= 2  # it ran once the file was there
    assert checkpointer._thread is not None and not checkpointer._thread.is_alive()
