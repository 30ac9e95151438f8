"""``/hooks/{channel_id}``: each delivery goes to the process's ``Recorder``, which verifies,
decides and records it with the other deliveries of the moment in one transaction."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.datastructures import QueryParams
from starlette.routing import Route

from app import clock
from app.channels.base import RawRequest
from app.metrics import webhook_counter


async def hook(request: Request) -> Response:
    """``POST|GET /hooks/{channel_id}``: a Starlette route (no dependency solving or body
    parsing: the channel verifies and reads the raw bytes). Documented by the declarations
    below."""
    app = request.app
    channel_id = request.path_params["channel_id"]
    base = app.state.settings.public_base_url.rstrip("/")
    url = f"{base}/hooks/{channel_id}"
    query = request.scope["query_string"].decode("latin-1")
    if query:
        url += "?" + query
    raw = RawRequest(method=request.method, url=url,
                     headers={k.decode("latin-1").lower(): v.decode("latin-1")
                              for k, v in request.scope["headers"]},
                     query=dict(QueryParams(query)) if query else {},
                     body=await request.body(), received_at=clock.now())
    result = await app.state.recorder.deliver(channel_id, raw)
    webhook_counter(result.platform, "handled" if result.handled else "acknowledged").inc()
    hs = result.handshake
    return Response(hs.body, status_code=hs.status, media_type=hs.media_type)


# One of the application's first routes (``main.create_app``).
hook_route = Route("/hooks/{channel_id}", hook, methods=["POST", "GET"], include_in_schema=False)

# What /docs shows for the route above: the same paths, never mounted.
documented = APIRouter(tags=["webhooks"])


@documented.post("/hooks/{channel_id}", summary="Platform webhook (verified per platform)",
                 responses={401: {"description": "Signature or token did not verify"}})
async def hook_documented(channel_id: str) -> None:
    raise NotImplementedError  # served by ``hook``


@documented.get("/hooks/{channel_id}",
                summary="Verification handshake (WhatsApp hub.challenge)")
async def hook_handshake_documented(channel_id: str) -> None:
    raise NotImplementedError  # served by ``hook``
