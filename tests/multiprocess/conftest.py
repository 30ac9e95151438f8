"""Real processes: ``ijaza serve`` and ``ijaza worker`` started as a user starts them, on
one database, and a local HTTP server playing the platform they write to."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "test-secret-key-0123456789"  # the one tests/conftest.py seals channels with


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str,
             every: float = 0.05) -> Any:
    """Poll ``condition`` until it is truthy (and return it), failing after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


class Process:
    """``python -m app.cli <args>`` with a clean IJAZA_ environment; ``serve`` ones are up
    once /healthz answers."""

    def __init__(self, name: str, args: list[str], db_url: str, logs: Path,
                 env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port() if args[0] == "serve" else None
        self.args = args + (["--port", str(self.port)] if self.port else [])
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("IJAZA_")} | {
            "IJAZA_DATABASE_URL": db_url, "IJAZA_ENV": "development",
            "IJAZA_SECRET_KEY": SECRET_KEY, "IJAZA_LOG_LEVEL": "INFO", "IJAZA_LOG_JSON": "true",
            "IJAZA_RELAY_POLL_SECONDS": "0.1", "PYTHONDONTWRITEBYTECODE": "1",
            "IJAZA_ALLOW_PRIVATE_TARGETS": "true"} | env  # the platform is a local server
        self.log = logs / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "app.cli", *self.args],
                                         env=self.env, cwd=ROOT, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        if self.port:
            wait_for(self._healthy, timeout=60, what=f"{self.name} to answer /healthz",
                     every=0.1)
        return self

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def readyz(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "/readyz", timeout=30) as r:
            return json.loads(r.read())

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when a machine dies."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def took_over_at(process: Process) -> float | None:
    """When the process logged that it took the scheduler's leadership (Unix time)."""
    for line in process.log.read_text().splitlines():
        if "scheduler leadership taken" in line:
            stamp = json.loads(line)["timestamp"].replace("Z", "+00:00")
            return datetime.fromisoformat(stamp).timestamp()
    return None


def leader_pid(server: Process) -> int | None:
    """The pid of the process that leads the scheduler, as a server's /readyz names it."""
    leader = server.readyz()["scheduler"]["leader"]
    return int(leader.split(":")[1]) if leader else None


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[..., Process]]:
    """``start(name, *args, env=…, db_url=…)``: a started process, stopped after the test."""
    started: list[Process] = []

    def start(name: str, *args: str, db_url: str, env: dict[str, str] | None = None,
              wait: bool = True) -> Process:
        process = Process(name, list(args), db_url, tmp_path, env or {})
        started.append(process)
        return process.start() if wait else process

    yield start
    for process in started:
        process.stop()


class Platform:
    """A platform's API on 127.0.0.1 (HTTP/1.1, kept alive, on an event loop of its own):
    answers every POST 200 and counts who it was for."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = json.loads(await reader.readexactly(length)) if length else {}
                self.received[body.get("to", "")] += 1
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                             b"content-length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", self.port), self.loop).result(10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)

    def total(self) -> int:
        return sum(self.received.values())


@pytest.fixture
def platform() -> Iterator[Platform]:
    fake = Platform()
    fake.start()
    yield fake
    fake.stop()
