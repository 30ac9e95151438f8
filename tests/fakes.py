"""Real local servers that play the platforms in tests: an HTTP server that records every
request and answers from a plan (so it can fail on demand: 5xx, 429 with Retry-After,
timeouts), and an SMTP server (aiosmtpd) that records envelopes."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class _Server(ThreadingHTTPServer):
    # A relay opens up to 16 connections at once; the default backlog of 5 drops the
    # others' SYNs, which the kernel retries a second later (a send timeout in a test).
    request_queue_size = 64


class FakePlatform:
    """``with FakePlatform() as fake: fake.url`` — answers ``default`` unless ``plan`` has
    queued replies (consumed in order)."""

    def __init__(self, default: Reply | None = None) -> None:
        self.default = default or Reply()
        self.plan: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        # answer_in_groups: the request counts at which the held requests are answered
        self._groups: list[int] = []
        self._arrived = threading.Condition(self._lock)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                with fake._lock:
                    fake.requests.append(Recorded(self.command, self.path,
                                                  {k.lower(): v for k, v in self.headers.items()},
                                                  body, time.monotonic()))
                    reply = fake.plan.popleft() if fake.plan else fake.default
                    fake._arrived.notify_all()
                    number = len(fake.requests)
                    group = next((g for g in fake._groups if number <= g), None)
                    if group is not None:  # held until its group has all arrived
                        fake._arrived.wait_for(lambda: len(fake.requests) >= group,
                                               timeout=10)
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_POST = do_GET = do_PUT = _serve  # noqa: N815

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer_in_groups(self, *sizes: int) -> None:
        """Hold each request until the others of its group have arrived, then answer them
        together: ``answer_in_groups(16, 8)`` answers the first 16 at once, then the next 8."""
        total = 0
        for size in sizes:
            total += size
            self._groups.append(total)

    def __enter__(self) -> FakePlatform:
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpRecorder:
    """An aiosmtpd server on 127.0.0.1 that keeps every envelope it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        recorder = self

        class Handler:
            async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
                recorder.messages.append(envelope)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpRecorder:
        self.controller.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.controller.stop()
