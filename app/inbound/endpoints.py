from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from app import clock
from app.channels.base import BadPayload, RawRequest, VerificationFailed
from app.connections.models import ChannelRow
from app.connections.service import channel_object
from app.deps import SessionDep
from app.errors import IjazaError, NotFound, Unauthorized
from app.inbound import service
from app.metrics import WEBHOOKS

router = APIRouter(tags=["webhooks"])


class BadRequest(IjazaError):
    status = 400


async def _raw(request: Request, channel_id: str) -> RawRequest:
    base = request.app.state.settings.public_base_url.rstrip("/")
    url = f"{base}/hooks/{channel_id}"
    if request.url.query:
        url += "?" + request.url.query
    return RawRequest(method=request.method, url=url,
                      headers={k.lower(): v for k, v in request.headers.items()},
                      query=dict(request.query_params), body=await request.body(),
                      received_at=clock.now())


def _channel(session: SessionDep, channel_id: str) -> ChannelRow:
    row = session.get(ChannelRow, channel_id) if len(channel_id) <= 32 else None
    if row is None:
        raise NotFound("No such webhook.")
    return row


def _handle(session, request: Request, row: ChannelRow, raw: RawRequest) -> Response:  # noqa: ANN001
    channel = channel_object(row, request.app.state.secret_box)
    try:
        result = service.handle(session, row, channel, raw)
    except VerificationFailed as exc:
        WEBHOOKS.labels(row.platform, "unverified").inc()
        raise Unauthorized(f"The request did not verify: {exc}") from exc
    except BadPayload as exc:
        WEBHOOKS.labels(row.platform, "bad_payload").inc()
        raise BadRequest(f"The body is not a {row.platform} webhook: {exc}") from exc
    WEBHOOKS.labels(row.platform, "handled" if result.handled else "acknowledged").inc()
    hs = result.handshake
    return Response(hs.body, status_code=hs.status, media_type=hs.media_type)


def _lookup_and_handle(session, request: Request, channel_id: str, raw: RawRequest) -> Response:  # noqa: ANN001
    return _handle(session, request, _channel(session, channel_id), raw)


@router.post("/hooks/{channel_id}", summary="Platform webhook (verified per platform)",
             responses={401: {"description": "Signature or token did not verify"}})
async def hook(channel_id: str, request: Request, session: SessionDep) -> Response:
    raw = await _raw(request, channel_id)
    return await run_in_threadpool(_lookup_and_handle, session, request, channel_id, raw)


@router.get("/hooks/{channel_id}", summary="Verification handshake (WhatsApp hub.challenge)")
async def hook_handshake(channel_id: str, request: Request, session: SessionDep) -> Response:
    raw = await _raw(request, channel_id)
    return await run_in_threadpool(_lookup_and_handle, session, request, channel_id, raw)
