from __future__ import annotations

from fastapi import APIRouter, Response

from app.deps import AdminDep, PrincipalDep, SessionDep
from app.owners import repository, service
from app.owners.schemas import OwnerCreate, OwnerRead, OwnerUpdate
from app.pagination import CursorQuery, LimitQuery, Page, decode_cursor, page_of

router = APIRouter(prefix="/v1/owners", tags=["owners"])


@router.get("", response_model=Page[OwnerRead])
def list_owners(session: SessionDep, principal: PrincipalDep, limit: LimitQuery = 50,
                cursor: CursorQuery = None) -> Page[OwnerRead]:
    rows = repository.page(session, limit=limit, after=decode_cursor(cursor),
                           only=None if principal.admin else principal.owner_id)
    return page_of(rows, limit, item=lambda r: OwnerRead.model_validate(r),
                   cursor=lambda r: r.id)


@router.post("", response_model=OwnerRead, status_code=201)
def create_owner(body: OwnerCreate, session: SessionDep, _admin: AdminDep) -> OwnerRead:
    return OwnerRead.model_validate(service.create(session, body))


@router.get("/{owner_id}", response_model=OwnerRead)
def get_owner(owner_id: str, session: SessionDep, principal: PrincipalDep) -> OwnerRead:
    return OwnerRead.model_validate(service.visible_owner(session, principal, owner_id))


@router.patch("/{owner_id}", response_model=OwnerRead)
def update_owner(owner_id: str, body: OwnerUpdate, session: SessionDep,
                 principal: PrincipalDep) -> OwnerRead:
    owner = service.visible_owner(session, principal, owner_id)
    return OwnerRead.model_validate(service.update(session, owner, body))


@router.delete("/{owner_id}", status_code=204, response_class=Response)
def delete_owner(owner_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    service.delete(session, service.visible_owner(session, principal, owner_id))
    return Response(status_code=204)
