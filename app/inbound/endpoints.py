"""``/hooks/{channel_id}``: each delivery goes to the process's ``Recorder``, which verifies,
decides and records it with the other deliveries of the moment in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.datastructures import QueryParams

from app import clock
from app.channels.base import RawRequest
from app.metrics import webhook_counter

router = APIRouter(tags=["webhooks"])


async def _handle(request: Request, channel_id: str) -> Response:
    return await handle_delivery(request.app, request.method, channel_id,
                                 request.scope["headers"], request.scope["query_string"],
                                 await request.body())


async def handle_delivery(app: Any, method: str, channel_id: str,
                          headers: Iterable[tuple[bytes, bytes]], query_string: bytes,
                          body: bytes) -> Response:
    """One delivery, from the request's parts (the route's work; also ``app.lane``'s)."""
    base = app.state.settings.public_base_url.rstrip("/")
    url = f"{base}/hooks/{channel_id}"
    query = query_string.decode("latin-1")
    if query:
        url += "?" + query
    raw = RawRequest(method=method, url=url,
                     headers={k.decode("latin-1").lower(): v.decode("latin-1")
                              for k, v in headers},
                     query=dict(QueryParams(query)) if query else {}, body=body,
                     received_at=clock.now())
    result = await app.state.recorder.deliver(channel_id, raw)
    webhook_counter(result.platform, "handled" if result.handled else "acknowledged").inc()
    hs = result.handshake
    return Response(hs.body, status_code=hs.status, media_type=hs.media_type)


@router.post("/hooks/{channel_id}", summary="Platform webhook (verified per platform)",
             responses={401: {"description": "Signature or token did not verify"}})
async def hook(channel_id: str, request: Request) -> Response:
    return await _handle(request, channel_id)


@router.get("/hooks/{channel_id}", summary="Verification handshake (WhatsApp hub.challenge)")
async def hook_handshake(channel_id: str, request: Request) -> Response:
    return await _handle(request, channel_id)
