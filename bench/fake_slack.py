"""A stand-in for Slack's Web API on 127.0.0.1: answers every POST with ``{"ok": true}`` and
appends one line per request to a log: ``<monotonic seconds> <dedupe id> <path>``.

The dedupe id is the number in ``bench-<digits>`` found in the request body (the benches
put it in the message text); ``-`` when there is none. Plain ``asyncio`` streams with
HTTP/1.1 keep-alive, so it costs little next to the relay it measures.

    python bench/fake_slack.py --port 9000 --log /tmp/arrivals.log
"""

from __future__ import annotations

import argparse
import asyncio
import re
import signal
import time
from typing import TextIO

ID = re.compile(rb"bench-(\d+)")
OK = b'{"ok":true,"channel":"D0BENCH","ts":"1779868795.000200"}'
RESPONSE = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\n"
            b"content-length: " + str(len(OK)).encode() + b"\r\n\r\n" + OK)
MAX_HEAD = 64 * 1024
MAX_BODY = 1024 * 1024


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    for _ in range(100_000):
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            await reader.readline()
            return body
        body += await reader.readexactly(size)
        await reader.readline()
        if len(body) > MAX_BODY:
            break
    return body


def serve(port: int, log: TextIO) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for _ in range(1_000_000):  # requests on one keep-alive connection
                head = await reader.readuntil(b"\r\n\r\n")
                if len(head) > MAX_HEAD:
                    break
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1].decode(errors="replace") if b" " in lines[0] else "?"
                length, chunked = 0, False
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = min(int(value.strip() or b"0"), MAX_BODY)
                    elif name == b"transfer-encoding" and b"chunked" in value.lower():
                        chunked = True
                body = await _chunked(reader) if chunked else (
                    await reader.readexactly(length) if length else b"")
                arrived = time.monotonic()
                found = ID.search(body)
                log.write(f"{arrived:.6f} {found.group(1).decode() if found else '-'} {path}\n")
                writer.write(RESPONSE)
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError,
                ValueError, IndexError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, limit=MAX_HEAD * 2)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        print(f"fake slack on 127.0.0.1:{port}", flush=True)
        async with server:
            await stop.wait()

    asyncio.run(main())


def read_log(path: str) -> list[tuple[float, str, str]]:
    """``(arrival, dedupe id, path)`` for every request the fake received, in order."""
    arrivals = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                arrivals.append((float(parts[0]), parts[1], parts[2]))
    return arrivals


def max_in_window(times: list[float], width: float = 1.0) -> int:
    """The most arrivals in any half-open window ``[t, t + width)``."""
    best, lo = 0, 0
    ordered = sorted(times)
    for hi, t in enumerate(ordered):
        while ordered[lo] <= t - width:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Slack Web API that logs arrivals.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    with open(args.log, "a", encoding="utf-8", buffering=1) as log:
        serve(args.port, log)


if __name__ == "__main__":
    main()
