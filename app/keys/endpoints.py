from __future__ import annotations

from fastapi import APIRouter, Response

from app.deps import PrincipalDep, SessionDep
from app.errors import NotFound
from app.keys import service
from app.keys.schemas import KeyCreate, KeyCreated, KeyRead
from app.pagination import CursorQuery, LimitQuery, Page, decode_cursor, page_of

router = APIRouter(prefix="/v1/keys", tags=["keys"])


@router.get("", response_model=Page[KeyRead])
def list_keys(session: SessionDep, principal: PrincipalDep, limit: LimitQuery = 50,
              cursor: CursorQuery = None) -> Page[KeyRead]:
    rows = service.list_keys(session, principal, limit=limit, after=decode_cursor(cursor))
    return page_of(rows, limit, item=lambda r: KeyRead.model_validate(r),
                   cursor=lambda r: r.id)


@router.post("", response_model=KeyCreated, status_code=201)
def create_key(body: KeyCreate, session: SessionDep, principal: PrincipalDep) -> KeyCreated:
    if not principal.admin:
        # An owner key may mint keys for its own owner only, never admin keys.
        if body.admin or (body.owner_id not in (None, principal.owner_id)):
            raise NotFound("No such owner.")
        owner_id = principal.owner_id
    else:
        owner_id = body.owner_id
    new = service.create_key(session, admin=body.admin, owner_id=owner_id, name=body.name)
    return KeyCreated(**KeyRead.model_validate(new.row).model_dump(), key=new.key)


@router.delete("/{key_id}", status_code=204, response_class=Response)
def revoke_key(key_id: str, session: SessionDep, principal: PrincipalDep) -> Response:
    if len(key_id) > 64:
        raise NotFound(f"No key '{key_id}'.")
    service.revoke_key(session, principal, key_id)
    return Response(status_code=204)
