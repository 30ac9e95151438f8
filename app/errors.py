"""Errors, and how each one reaches a client as ``application/problem+json`` (RFC 9457).

The hierarchy (every expected failure is one of these, never a 500):

- ``IjazaError``              base; status 400
  - ``NotFound``              404: unknown resource, or one the key may not see
  - ``Unauthorized``          401: missing or unknown key, bad webhook signature
  - ``Conflict``              409: unique clash (an owner id that exists, a duplicate key)
  - ``Invalid``               422: a value that parses but makes no sense (``field`` names it)
    - ``ControlCharacters``   422: NUL or another C0 control in an API request
  - ``PayloadTooLarge``       413: a body over the limit
  - ``TooManyRequests``       429: a key's or a channel's rate limit (with Retry-After)

The edge's own limits (431 headers, 413, 422 controls, 429) are answered by
``app.middleware`` before a route runs.

A value that parses but does not fit (``OverflowError``, a database ``DataError``) and a
body nested too deeply (``RecursionError``) are 422. Domain errors that reach the edge: ``hijri.OutOfRange`` (a date outside 1343–1500 AH) and
``availability.NoWorkingTime`` are 422, ``countries.UnknownCountry`` is 404.

Validation errors from FastAPI/pydantic become 422 with the failing fields in ``errors``;
unknown routes 404, wrong methods 405, malformed JSON 400.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from app.domain.availability import NoWorkingTime
from app.domain.countries import UnknownCountry
from app.domain.hijri import OutOfRange
from app.domain.rendering import TemplateInvalid

PROBLEM = "application/problem+json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class IjazaError(Exception):
    status = 400

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(IjazaError):
    status = 404


class Unauthorized(IjazaError):
    status = 401


class Conflict(IjazaError):
    status = 409


class Invalid(IjazaError):
    status = 422

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        if field is not None:
            extra["errors"] = [{"field": field, "message": detail}]
        super().__init__(detail, **extra)


class PayloadTooLarge(IjazaError):
    status = 413


class ControlCharacters(Invalid):
    """422: a control character (NUL…) where only text may be."""


class TooManyRequests(IjazaError):
    status = 429


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status,
            "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "")


def problem_for(exc: BaseException) -> JSONResponse | None:
    """The problem+json answer for an expected failure, or None for an unexpected one (a
    bug: the server's 500)."""
    if isinstance(exc, IjazaError):
        return problem(exc.status, exc.detail, **exc.extra)
    if isinstance(exc, OutOfRange):
        return problem(422, str(exc))
    if isinstance(exc, NoWorkingTime):
        return problem(422, f"{exc}. Add working hours (or reply slots) to this owner.",
                       errors=[{"field": "working_hours", "message": str(exc)}])
    if isinstance(exc, TemplateInvalid):
        return problem(422, f"The saved reply template cannot be used: {exc}")
    if isinstance(exc, UnknownCountry):
        return problem(404, str(exc))
    if isinstance(exc, IntegrityError):
        # A unique index caught two writers at once; nothing was stored for this request.
        return problem(409, "This request collided with another one that changed the same "
                            "thing at the same moment; nothing was changed. Try again.")
    if isinstance(exc, RecursionError):
        return problem(422, "The request is nested too deeply to be read; nothing was changed.")
    if isinstance(exc, OverflowError | DataError):
        # A number or an instant that parses but lies outside what can be stored or
        # computed with (an id beyond 64 bits, a time at the end of year 9999).
        return problem(422, "A value in the request is out of range; nothing was changed.")
    if isinstance(exc, PoolTimeout | OperationalError):
        # The database is busy or unreachable: nothing was stored; the caller may retry
        # (platforms do so on their own).
        response = problem(503, "The database is busy or unreachable; nothing was stored. "
                                "Try again shortly.")
        response.headers["Retry-After"] = "5"
        return response
    return None


def install(app: FastAPI) -> None:
    """Map every error to problem+json."""
    async def _expected(_request: Request, exc: Exception) -> JSONResponse:
        response = problem_for(exc)
        assert response is not None, exc  # registered only for the types problem_for maps
        return response

    for kind in (IjazaError, OutOfRange, NoWorkingTime, TemplateInvalid, UnknownCountry,
                 IntegrityError, PoolTimeout, OperationalError, RecursionError, OverflowError,
                 DataError):
        app.add_exception_handler(kind, _expected)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        malformed = False
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                malformed = True
            errors.append({"field": _field_path(tuple(err.get("loc", ()))),
                           "message": err.get("msg", "invalid")})
        if malformed:
            return problem(400, "The request body is not valid JSON.", errors=errors)
        first = errors[0] if errors else {"field": "", "message": "invalid"}
        detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        return problem(422, detail, errors=errors)

    @app.exception_handler(ClientDisconnect)
    async def _gone(_request: Request, _exc: ClientDisconnect) -> Response:
        # The client went away before its request was whole: nothing was read or recorded,
        # and nobody is there to read an answer (not a server error either).
        return Response(status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such resource."
        if exc.status_code == 405:
            detail = "This method is not allowed on this resource."
        resp = problem(exc.status_code, detail)
        if exc.headers:
            resp.headers.update(exc.headers)
        return resp
