"""``/hooks/{channel_id}``: each delivery goes to the process's ``Recorder``, which verifies,
decides and records it with the other deliveries of the moment in one transaction."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app import clock
from app.channels.base import RawRequest
from app.metrics import WEBHOOKS

router = APIRouter(tags=["webhooks"])


async def _raw(request: Request, channel_id: str) -> RawRequest:
    base = request.app.state.settings.public_base_url.rstrip("/")
    url = f"{base}/hooks/{channel_id}"
    if request.url.query:
        url += "?" + request.url.query
    return RawRequest(method=request.method, url=url,
                      headers={k.lower(): v for k, v in request.headers.items()},
                      query=dict(request.query_params), body=await request.body(),
                      received_at=clock.now())


async def _handle(request: Request, channel_id: str) -> Response:
    raw = await _raw(request, channel_id)
    result = await request.app.state.recorder.deliver(channel_id, raw)
    WEBHOOKS.labels(result.platform, "handled" if result.handled else "acknowledged").inc()
    hs = result.handshake
    return Response(hs.body, status_code=hs.status, media_type=hs.media_type)


@router.post("/hooks/{channel_id}", summary="Platform webhook (verified per platform)",
             responses={401: {"description": "Signature or token did not verify"}})
async def hook(channel_id: str, request: Request) -> Response:
    return await _handle(request, channel_id)


@router.get("/hooks/{channel_id}", summary="Verification handshake (WhatsApp hub.challenge)")
async def hook_handshake(channel_id: str, request: Request) -> Response:
    return await _handle(request, channel_id)
