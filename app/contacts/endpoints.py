from __future__ import annotations

from fastapi import APIRouter, Response

from app.contacts import repository, service
from app.contacts.schemas import ContactCreate, ContactRead, ContactUpdate
from app.deps import PrincipalDep, SessionDep
from app.owners.service import visible_owner
from app.pagination import CursorQuery, LimitQuery, Page, decode_cursor, page_of

router = APIRouter(prefix="/v1/owners/{owner_id}/contacts", tags=["contacts"])


@router.get("", response_model=Page[ContactRead])
def list_contacts(owner_id: str, session: SessionDep, principal: PrincipalDep,
                  limit: LimitQuery = 50, cursor: CursorQuery = None) -> Page[ContactRead]:
    owner = visible_owner(session, principal, owner_id)
    rows = repository.page(session, owner.id, limit=limit, after=decode_cursor(cursor))
    return page_of(rows, limit, item=lambda r: ContactRead.model_validate(r),
                   cursor=lambda r: r.id)


@router.post("", response_model=ContactRead, status_code=201)
def create_contact(owner_id: str, body: ContactCreate, session: SessionDep,
                   principal: PrincipalDep) -> ContactRead:
    owner = visible_owner(session, principal, owner_id)
    return ContactRead.model_validate(service.create(session, owner, body))


@router.get("/{contact_id}", response_model=ContactRead)
def get_contact(owner_id: str, contact_id: str, session: SessionDep,
                principal: PrincipalDep) -> ContactRead:
    owner = visible_owner(session, principal, owner_id)
    return ContactRead.model_validate(service.visible_contact(session, owner, contact_id))


@router.patch("/{contact_id}", response_model=ContactRead)
def update_contact(owner_id: str, contact_id: str, body: ContactUpdate, session: SessionDep,
                   principal: PrincipalDep) -> ContactRead:
    owner = visible_owner(session, principal, owner_id)
    row = service.visible_contact(session, owner, contact_id)
    return ContactRead.model_validate(service.update(session, owner, row, body))


@router.delete("/{contact_id}", status_code=204, response_class=Response)
def delete_contact(owner_id: str, contact_id: str, session: SessionDep,
                   principal: PrincipalDep) -> Response:
    owner = visible_owner(session, principal, owner_id)
    service.erase(session, service.visible_contact(session, owner, contact_id))
    return Response(status_code=204)
