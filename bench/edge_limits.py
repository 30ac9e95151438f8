"""The edge's limits, before and after (issue 14), each against a floor measured in the
same run:

1. the request middleware's cost per request (request id, header/body/control checks, the
   rate limiter) against the bare app it wraps, in process;
2. the server's memory after eight concurrent requests with a 50 MB header: uvicorn's
   plain httptools protocol (before) and ``app.serving.BoundedHttpTools`` (after);
3. the event-loop stall of ten 420 KB multipart mails: Python's MIME parser on them
   (before) and the email channel's ``parse``, which bounds depth and parts (after).

    .venv/bin/python bench/edge_limits.py
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.channels.base import RawRequest  # noqa: E402
from app.channels.email import EmailChannel, _from_mime  # noqa: E402
from app.limits import RateLimiter  # noqa: E402
from app.middleware import RequestContext  # noqa: E402


async def _bare(scope, receive, send) -> None:  # noqa: ANN001
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def middleware_cost(n: int = 50_000) -> dict[str, float]:
    scope = {"type": "http", "method": "POST", "path": "/v1/owners/demo/evaluate",
             "raw_path": b"/v1/owners/demo/evaluate", "query_string": b"",
             "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"wrk"),
                         (b"content-type", b"application/json"),
                         (b"authorization", b"Bearer ijz_" + b"k" * 32),
                         (b"content-length", b"180")]}
    body = b'{"contact":{"address":"amina@example.org","name":"Amina"},"text":"hello there",' \
           b'"received_at":"2027-03-10T11:00:00+03:00","dry_run":true}'

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(_message: dict) -> None:
        return None

    stacks = {
        "bare app": _bare,
        "middleware, no limiter": RequestContext(_bare, access_log=False),
        "middleware + rate limiter": RequestContext(_bare, access_log=False, limiter=RateLimiter(
            per_key=10**12, per_channel=10**12)),
    }
    out: dict[str, float] = {}

    async def run(app) -> float:  # noqa: ANN001
        started = time.perf_counter()
        for _ in range(n):
            await app(scope, receive, send)
        return (time.perf_counter() - started) / n * 1e6

    for name, app in stacks.items():
        asyncio.run(run(app))  # warm up
        out[name] = min(asyncio.run(run(app)) for _ in range(3))
    return out


SERVER = """
import sys, uvicorn
sys.path.insert(0, {root!r})
from app.serving import BoundedHttpTools
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": b"ok"}})
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="error",
            http={http}, lifespan="off")
"""


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _huge_header(port: int, size: int) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ")
    chunk = b"a" * (1 << 20)
    try:
        for _ in range(size >> 20):
            writer.write(chunk)
            await writer.drain()
        writer.write(b"\r\n\r\n")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 30)
    except (TimeoutError, ConnectionError):
        status = b"(closed)"
    writer.close()
    return status.strip()


def header_memory(http: str) -> tuple[float, float, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER.format(root=str(ROOT), port=port,
                                                                    http=http)])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)
        before = _rss_mb(proc.pid)

        async def eight() -> list[bytes]:
            return await asyncio.gather(*(_huge_header(port, 50 << 20) for _ in range(8)))

        statuses = asyncio.run(eight())
        after = _rss_mb(proc.pid)
        return before, after, statuses[0].decode("latin-1")
    finally:
        proc.terminate()
        proc.wait(10)


def multipart_mail(size: int = 420_000) -> bytes:
    head = (b"Return-Path: <amina@example.org>\r\nFrom: amina@example.org\r\n"
            b"To: support@example.com\r\nSubject: parts\r\nMessage-ID: <p@example.org>\r\n"
            b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n')
    part = b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    return head + part * ((size - len(head)) // len(part)) + b"--b--\r\n"


def mime_stall() -> tuple[float, float]:
    mail = multipart_mail()
    channel = EmailChannel({"provider": "mime", "token": "t"}, now=lambda: None)  # type: ignore[arg-type]
    raw = RawRequest(method="POST", url="http://x/hooks/ch", headers={
        "content-type": "message/rfc822", "authorization": "Bearer t"}, query={}, body=mail,
        received_at=None)  # type: ignore[arg-type]
    started = time.perf_counter()
    for _ in range(10):
        _from_mime(mail, None)
    before = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(10):
        channel.parse(raw)
    return before, time.perf_counter() - started


def main() -> None:
    print(f"# edge limits — {os.uname().nodename}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    cost = middleware_cost()
    floor = cost["bare app"]
    print("\n| stack | µs per request | over the bare app |\n| --- | --- | --- |")
    for name, us in cost.items():
        print(f"| {name} | {us:.2f} | +{us - floor:.2f} µs |")
    print("\n| 8 × 50 MB header | RSS before | RSS after | answer |\n| --- | --- | --- | --- |")
    for label, http in (("httptools (before)", '"httptools"'),
                        ("BoundedHttpTools (after)", "BoundedHttpTools")):
        before, after, status = header_memory(http)
        print(f"| {label} | {before:.0f} MB | {after:.0f} MB | {status} |")
    before, after = mime_stall()
    print("\n| ten 420 KB multipart mails | seconds on the event loop |\n| --- | --- |")
    print(f"| Python's MIME parser (before) | {before:.2f} |")
    print(f"| EmailChannel.parse, bounded (after) | {after:.4f} |")


if __name__ == "__main__":
    main()
