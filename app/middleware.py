"""Pure ASGI middleware (cheap on the hot path): a request id on every request and log
line, and the limits at the edge, whichever server runs the app (docs/security.md):

- request line and headers: at most ``max_header`` bytes per header and ``max_headers``
  in all (431);
- bodies: 1 MiB, by ``Content-Length`` or as they stream in (chunked) (413);
- control characters: C0 controls other than tab, CR and LF in the path, the query or a
  JSON string of an API request (``/v1/…``) are refused (422): PostgreSQL cannot store NUL,
  and SQLite would store what PostgreSQL refuses. Webhooks are not refused here — a
  platform would only retry — their messages are cleaned where they are parsed;
- rate limits per API key and per webhook channel (429 + ``Retry-After``, see
  ``app.limits``).
"""

from __future__ import annotations

import json
import random
import re
import time
from typing import Any

import structlog

from app.errors import ControlCharacters, PayloadTooLarge
from app.limits import RateLimiter
from app.logs import log

MAX_BODY = 1024 * 1024
MAX_HEADER = 16 * 1024
MAX_HEADERS = 64 * 1024
Scope = dict[str, Any]

_TITLES = {413: "Payload Too Large", 422: "Unprocessable Content",
           429: "Too Many Requests", 431: "Request Header Fields Too Large"}
# A JSON escape of a C0 control other than \t, \n, \r, preceded by an even number of
# backslashes (an odd number would make it literal text: "\\u0000").
_JSON_CONTROL = re.compile(rb"(?<!\\)(?:\\\\)*\\u00(?:0[0-8bcefBCEF]|1[0-9a-fA-F])")
_QUERY_CONTROL = re.compile(rb"%(?:0[0-8bcefBCEF]|1[0-9a-fA-F])")
_PATH_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROLS_DETAIL = ("The request holds a control character (such as NUL) that no text "
                    "field may contain; nothing was changed.")


async def _send_problem(send: Any, status: int, detail: str, request_id: str,
                        headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"type": "about:blank", "title": _TITLES.get(status, "Error"),
                       "status": status, "detail": detail}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()), *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


def _new_id() -> str:
    # A correlation id, not a secret: the Mersenne Twister is enough and, unlike the OS's
    # random source that ``secrets`` reads, costs no system call per request.
    return f"{random.getrandbits(64):016x}"


class RequestContext:
    """Adds ``X-Request-ID``, logs one line per request, enforces the edge's limits."""

    def __init__(self, app: Any, *, max_body: int = MAX_BODY, access_log: bool = True,
                 max_header: int = MAX_HEADER, max_headers: int = MAX_HEADERS,
                 limiter: RateLimiter | None = None) -> None:
        self.app = app
        self.max_body = max_body
        self.access_log = access_log
        self.max_header = max_header
        self.max_headers = max_headers
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ""
        too_big = False
        json_body = False
        authorization = b""
        total = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
        header_too_big = total > self.max_header
        for name, value in scope["headers"]:
            size = len(name) + len(value)
            total += size
            if size > self.max_header:
                header_too_big = True
            if name == b"x-request-id" and 0 < len(value) <= 64:
                request_id = value.decode("latin-1")
            elif name == b"content-length":
                try:
                    too_big = int(value) > self.max_body
                except ValueError:
                    too_big = False
            elif name == b"content-type":
                json_body = b"json" in value
            elif name == b"authorization":
                authorization = value
        request_id = request_id or _new_id()
        if header_too_big or total > self.max_headers:
            await _send_problem(send, 431, f"A header is longer than {self.max_header} bytes "
                                f"or all of them are longer than {self.max_headers}.", request_id)
            return
        if too_big:
            await _send_problem(send, 413, "The body is larger than 1 MiB.", request_id)
            return
        path: str = scope["path"]
        api = path.startswith("/v1/")
        if api and (_PATH_CONTROL.search(path)
                    or _QUERY_CONTROL.search(scope.get("query_string") or b"")):
            await _send_problem(send, 422, _CONTROLS_DETAIL, request_id)
            return
        if self.limiter is not None:
            wait = self.limiter.refused(path, authorization)
            if wait is not None:
                await _send_problem(send, 429, "Too many requests from this key or to this "
                                    "channel; try again after Retry-After seconds.", request_id,
                                    [(b"retry-after", str(wait).encode())])
                return
        scan = api and json_body
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status_holder = [0]
        received = [0]
        tail = [b""]
        # Set when the body breaks a limit: the framework may turn the exception raised
        # from receive() into an answer of its own (FastAPI: 400); this one is sent instead.
        refusal: list[tuple[int, str] | None] = [None]

        async def limited_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received[0] += len(chunk)
                if received[0] > self.max_body:
                    refusal[0] = (413, "The body is larger than 1 MiB.")
                    raise PayloadTooLarge("The body is larger than 1 MiB.")
                if scan:
                    window = tail[0] + chunk
                    if b"\\u00" in window and _JSON_CONTROL.search(window):
                        refusal[0] = (422, _CONTROLS_DETAIL)
                        raise ControlCharacters(_CONTROLS_DETAIL)
                    tail[0] = chunk[-16:]
            return message

        async def send_with_id(message: Any) -> None:
            if message["type"] == "http.response.start":
                if refusal[0] is not None:
                    status_holder[0] = refusal[0][0]
                    await _send_problem(send, *refusal[0], request_id)
                    return
                status_holder[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"],
                                      (b"x-request-id", request_id.encode())]
            elif refusal[0] is not None:
                return  # the body of the answer replaced above
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except (PayloadTooLarge, ControlCharacters):
            if status_holder[0] == 0 and refusal[0] is not None:
                await _send_problem(send, *refusal[0], request_id)
                status_holder[0] = refusal[0][0]
        finally:
            if self.access_log:
                log.info("request", method=scope["method"], path=scope["path"],
                         status=status_holder[0],
                         ms=round((time.perf_counter() - started) * 1000, 2))
            structlog.contextvars.unbind_contextvars("request_id")
