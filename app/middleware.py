"""Pure ASGI middleware (cheap on the hot path): a request id on every request and log
line, and the 1 MiB body limit."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import structlog

from app.errors import PayloadTooLarge
from app.logs import log

MAX_BODY = 1024 * 1024
Scope = dict[str, Any]


async def _send_problem(send: Any, status: int, detail: str, request_id: str) -> None:
    body = json.dumps({"type": "about:blank", "title": "Payload Too Large", "status": status,
                       "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode())]})
    await send({"type": "http.response.body", "body": body})


def _new_id() -> str:
    # A correlation id, not a secret: the Mersenne Twister is enough and, unlike the OS's
    # random source that ``secrets`` reads, costs no system call per request.
    return f"{random.getrandbits(64):016x}"


class RequestContext:
    """Adds ``X-Request-ID``, logs one line per request, refuses bodies over 1 MiB."""

    def __init__(self, app: Any, *, max_body: int = MAX_BODY, access_log: bool = True) -> None:
        self.app = app
        self.max_body = max_body
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id" and 0 < len(value) <= 64:
                request_id = value.decode("latin-1")
            elif name == b"content-length":
                try:
                    too_big = int(value) > self.max_body
                except ValueError:
                    too_big = False
                if too_big:
                    await _send_problem(send, 413, "The body is larger than 1 MiB.",
                                        request_id or _new_id())
                    return
        request_id = request_id or _new_id()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_holder = [0]
        received = [0]
        too_large = [False]

        async def limited_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                received[0] += len(message.get("body", b""))
                if received[0] > self.max_body:
                    too_large[0] = True
                    raise PayloadTooLarge("The body is larger than 1 MiB.")
            return message

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                status_holder[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"],
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except PayloadTooLarge:
            if status_holder[0] == 0:
                await _send_problem(send, 413, "The body is larger than 1 MiB.", request_id)
                status_holder[0] = 413
        finally:
            if self.access_log:
                log.info("request", method=scope["method"], path=scope["path"],
                         status=status_holder[0],
                         ms=round((time.perf_counter() - started) * 1000, 2))
            structlog.contextvars.unbind_contextvars("request_id")

