from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.connections import service
from app.connections.schemas import ChannelCreate, ChannelRead, ChannelUpdate
from app.crypto import SecretBox
from app.deps import PrincipalDep, SessionDep
from app.owners.service import visible_owner
from app.pagination import CursorQuery, LimitQuery, Page, decode_cursor, page_of

router = APIRouter(prefix="/v1/owners/{owner_id}/channels", tags=["channels"])


def _box(request: Request) -> SecretBox:
    return request.app.state.secret_box


def _private(request: Request) -> bool:
    return bool(request.app.state.settings.allow_private_targets)


def _base(request: Request) -> str:
    return request.app.state.settings.public_base_url


@router.get("", response_model=Page[ChannelRead])
def list_channels(owner_id: str, request: Request, session: SessionDep, principal: PrincipalDep,
                  limit: LimitQuery = 50, cursor: CursorQuery = None) -> Page[ChannelRead]:
    owner = visible_owner(session, principal, owner_id)
    rows = service.for_owner(session, owner.id, limit=limit, after=decode_cursor(cursor))
    return page_of(rows, limit, item=lambda r: service.read(r, _box(request), _base(request)),
                   cursor=lambda r: r.id)


@router.post("", response_model=ChannelRead, status_code=201,
             description="Connect a platform. The response gives the webhook URL to register "
                         "with the platform. Secrets are write-only.")
def create_channel(owner_id: str, body: ChannelCreate, request: Request, session: SessionDep,
                   principal: PrincipalDep) -> ChannelRead:
    owner = visible_owner(session, principal, owner_id)
    row = service.create(session, owner, body, _box(request),
                         allow_private=_private(request))
    return service.read(row, _box(request), _base(request))


@router.get("/{channel_id}", response_model=ChannelRead)
def get_channel(owner_id: str, channel_id: str, request: Request, session: SessionDep,
                principal: PrincipalDep) -> ChannelRead:
    owner = visible_owner(session, principal, owner_id)
    return service.read(service.visible_channel(session, owner, channel_id), _box(request),
                        _base(request))


@router.patch("/{channel_id}", response_model=ChannelRead)
def update_channel(owner_id: str, channel_id: str, body: ChannelUpdate, request: Request,
                   session: SessionDep, principal: PrincipalDep) -> ChannelRead:
    owner = visible_owner(session, principal, owner_id)
    row = service.visible_channel(session, owner, channel_id)
    return service.read(service.update(session, row, body, _box(request),
                                       allow_private=_private(request)), _box(request),
                        _base(request))


@router.delete("/{channel_id}", status_code=204, response_class=Response)
def delete_channel(owner_id: str, channel_id: str, session: SessionDep,
                   principal: PrincipalDep) -> Response:
    owner = visible_owner(session, principal, owner_id)
    service.delete(session, owner, channel_id)
    return Response(status_code=204)
