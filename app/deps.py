"""Request-scoped dependencies: the database session (the one transaction boundary), the
caller's key, and tenant checks. Endpoints declare these with ``Annotated`` aliases.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from email.message import Message as MimeHeader
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.db import end, session_scope
from app.errors import NotFound, Unauthorized
from app.keys.service import Principal, authenticate, digest, recently_authenticated

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session: committed before the response, rolled back on any error.

    On SQLite (one writer, one pooled connection) requests take turns on an app-wide lock
    while they wait on the event loop: a waiting request must not hold one of the worker
    threads that the request holding the connection needs to finish.
    """
    lock = request.app.state.db_lock
    if lock is not None:
        await lock.acquire()
    try:
        session = request.app.state.sessions()
        try:
            yield session
        except BaseException:
            await run_in_threadpool(end, session, commit=False)
            raise
        await run_in_threadpool(end, session, commit=True)
    finally:
        if lock is not None:
            lock.release()


# "function" scope: commit before the response is sent, so a 2xx always means "stored".
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
    return token.strip()


async def get_principal(request: Request, session: SessionDep) -> Principal:
    """The caller: from the key cache on the event loop (no trip to a worker thread), or
    else looked up in the request's session."""
    token = _bearer(request)
    principal = recently_authenticated(token)
    if principal is None:
        principal = await run_in_threadpool(authenticate, session, token)
    if principal is None:
        raise Unauthorized("This API key is unknown or revoked.")
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_caller(request: Request) -> Principal:
    """The caller, for endpoints without a request session (the message intake): from the
    key cache on the event loop, or else from a short session of its own."""
    token = _bearer(request)
    principal = recently_authenticated(token)
    if principal is None:
        principal = await in_own_session(request, lambda session: authenticate(session, token),
                                         share=("api key", digest(token)))
    if principal is None:
        raise Unauthorized("This API key is unknown or revoked.")
    return principal


async def in_own_session(request: Request, work: Callable[[Session], T], *,
                         share: Hashable | None = None) -> T:
    """``work(session)`` in a short transaction of its own, on a worker thread (for an
    endpoint that needs the database only sometimes, e.g. on a cache miss). On SQLite it
    takes its turn on the app-wide lock like every request session.

    Calls with the same ``share`` key made while one is running wait for that one and get
    its answer: when a cached entry expires, the requests in flight ask the database once,
    not once each, one after another.
    """
    if share is None:
        return await _in_own_session(request, work)
    running: dict[Hashable, asyncio.Task[Any]] = request.app.state.shared_reads
    task = running.get(share)
    if task is None:
        # A task of its own: a caller that goes away does not cancel the others' answer.
        task = running[share] = asyncio.create_task(_in_own_session(request, work))
        task.add_done_callback(lambda _done: running.pop(share, None))
    return await asyncio.shield(task)


async def _in_own_session(request: Request, work: Callable[[Session], T]) -> T:
    lock = request.app.state.db_lock
    if lock is not None:
        await lock.acquire()
    try:
        return await run_in_threadpool(_in_session, request.app.state.sessions, work)
    finally:
        if lock is not None:
            lock.release()


def _in_session(sessions: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    with session_scope(sessions) as session:
        return work(session)


CallerDep = Annotated[Principal, Depends(get_caller)]


async def require_admin(principal: PrincipalDep) -> Principal:
    # async: a check this small is not worth a trip to the thread pool.
    if not principal.admin:
        # An owner key asking for an admin-only route learns nothing about it.
        raise NotFound("No such resource.")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


def json_body(body: bytes, content_type: str | None, model: type[M], *,
              errors: list[dict[str, Any]] | None = None) -> M:
    """``body`` read as ``model`` the way FastAPI reads a route's JSON body (for the intake
    routes, which read their request themselves): JSON only under a JSON content type; a
    failure raises ``RequestValidationError`` with the fields under ``body``, after any
    ``errors`` the caller found in the headers."""
    found = list(errors or ())
    parsed = None
    if not body:
        found.append({"type": "missing", "loc": ("body",), "msg": "Field required",
                      "input": None})
    elif not _is_json(content_type):
        found.append({"type": "content_type", "loc": ("body",),
                      "msg": "Send the body as JSON, with 'Content-Type: application/json'",
                      "input": None})
    else:
        try:
            parsed = model.model_validate_json(body)
        except ValidationError as exc:
            found += [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
    if found or parsed is None:
        raise RequestValidationError(found)
    return parsed


def _is_json(content_type: str | None) -> bool:
    if content_type == "application/json":
        return True
    if not content_type:
        return False
    header = MimeHeader()
    header["content-type"] = content_type
    subtype = header.get_content_subtype()
    return header.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json"))
