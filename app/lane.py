"""The intake lane: the two routes every message comes through, served without FastAPI's
per-request machinery when the request is the ordinary, well-formed case.

``POST /v1/owners/{owner}/evaluate`` and ``POST|GET /hooks/{channel}`` carry every inbound
message, and their cost decides how many messages one process takes. Through FastAPI's
routing, dependency solving, request object and body parsing, the evaluate route's HTTP
side cost 0.29 ms of CPU, more than a whole bare FastAPI request (0.17 ms); through the
lane, 0.12 ms (``bench/bench_decide.py``). The lane does the same work with the routes' own
functions (``decisions.endpoints.evaluate_for``, ``inbound.endpoints.handle_delivery``).

Anything else goes to FastAPI untouched (the body replayed), so every refusal is FastAPI's
own answer: a key not in the key cache, a body that does not validate, a content type
other than exactly ``application/json``, an over-long ``Idempotency-Key``, a trailing
slash, another method. Once the lane has handed a message to the recorder, the recorder's
answer is final: an expected failure becomes the same problem+json as the routes'
(``errors.problem_for``), never a second try through FastAPI.

It sits inside ``RequestContext`` (request id, log line, the body limit) and in front of
FastAPI's own layers (``main.Ijaza``); an unexpected failure is a 500, as there.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import ValidationError

from app.decisions.endpoints import evaluate_for
from app.decisions.schemas import EvaluateRequest
from app.errors import problem, problem_for
from app.inbound.endpoints import handle_delivery
from app.keys.service import recently_authenticated

Scope = dict[str, Any]


class IntakeLane:
    """ASGI middleware in front of FastAPI's router for the message intake."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith("/hooks/"):
                channel_id = path[7:]
                if channel_id and "/" not in channel_id and scope["method"] in ("POST", "GET"):
                    await self._hook(scope, receive, send, channel_id)
                    return
            elif path.endswith("/evaluate") and path.startswith("/v1/owners/") and (
                    scope["method"] == "POST"):
                owner_id = path[11:-9]
                if owner_id and "/" not in owner_id:
                    await self._evaluate(scope, receive, send, owner_id)
                    return
        await self.app(scope, receive, send)

    async def _hook(self, scope: Scope, receive: Any, send: Any, channel_id: str) -> None:
        body = await _body(receive)
        if body is None:
            return  # the client went away before its request was whole: nobody to answer
        try:
            response = await handle_delivery(scope["app"], scope["method"], channel_id,
                                              scope["headers"], scope["query_string"], body)
        except Exception as exc:
            response = await _failure(exc, scope, receive, send)
        await response(scope, receive, send)

    async def _evaluate(self, scope: Scope, receive: Any, send: Any, owner_id: str) -> None:
        body = await _body(receive)
        if body is None:
            return
        token = content_type = idempotency_key = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                token = token or value
            elif name == b"content-type":
                content_type = content_type or value
            elif name == b"idempotency-key":
                idempotency_key = idempotency_key or value
        principal = None
        if token is not None:
            scheme, _, key = token.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and key.strip():
                principal = recently_authenticated(key.strip())
        request = None
        if principal is not None and _is_json(content_type) and (
                idempotency_key is None or len(idempotency_key) <= 300):
            with contextlib.suppress(ValidationError):  # FastAPI says what is wrong
                request = EvaluateRequest.model_validate_json(body)
        if request is None:  # not the ordinary case: FastAPI answers, as it always did
            await self.app(scope, _replay(body, receive), send)
            return
        try:
            response = await evaluate_for(
                scope["app"], principal, owner_id, request,
                idempotency_key.decode("latin-1") if idempotency_key is not None else None)
        except Exception as exc:
            response = await _failure(exc, scope, receive, send)
        await response(scope, receive, send)


async def _failure(exc: Exception, scope: Scope, receive: Any, send: Any) -> Any:
    """The answer for a failure: problem+json for an expected one; for a bug, a 500 (as
    Starlette's error middleware gives outside the lane) and the exception raised on to
    the server, which logs it."""
    response = problem_for(exc)
    if response is None:
        await problem(500, "Something went wrong on our side; the request id names it in "
                           "the server's log.")(scope, receive, send)
        raise exc
    return response


def _is_json(content_type: bytes | None) -> bool:
    # FastAPI refuses a body without a content type (strict content types); a charset or
    # application/*+json is left to FastAPI too.
    return content_type == b"application/json"


async def _body(receive: Any) -> bytes | None:
    """The whole body, or None if the client went away first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Any) -> Any:
    """``receive`` with the body already read given back first."""
    sent = False

    async def replayed() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed
