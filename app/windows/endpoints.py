from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app import validation
from app.deps import PrincipalDep, SessionDep
from app.errors import Invalid
from app.owners.service import visible_owner
from app.pagination import CursorQuery, LimitQuery, Page, decode_cursor, page_of
from app.windows import service
from app.windows.schemas import WindowCreate, WindowRead, WindowUpdate

router = APIRouter(prefix="/v1/owners/{owner_id}/windows", tags=["windows"])


def _instant(value: datetime | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return validation.aware(value)
    except ValueError as exc:
        raise Invalid(str(exc), field=name) from exc


@router.get("", response_model=Page[WindowRead])
def list_windows(
    owner_id: str, session: SessionDep, principal: PrincipalDep,
    from_: Annotated[datetime | None, Query(alias="from", description="ISO 8601 with offset")] = None,
    to: Annotated[datetime | None, Query(description="ISO 8601 with offset")] = None,
    limit: LimitQuery = 100, cursor: CursorQuery = None,
) -> Page[WindowRead]:
    owner = visible_owner(session, principal, owner_id)
    start, end = _instant(from_, "from"), _instant(to, "to")
    if start is not None and end is not None and start >= end:
        raise Invalid("'from' must be before 'to'.", field="to")
    raw = decode_cursor(cursor)
    after = None
    if raw is not None:
        try:
            after = (datetime.fromisoformat(raw[0]), str(raw[1]))
        except (TypeError, ValueError, IndexError, KeyError) as exc:
            raise Invalid("This cursor is not one we issued.", field="cursor") from exc
    rows = service.list_windows(session, owner, start, end, limit=limit, after=after)
    return page_of(rows, limit, item=lambda r: service.read(r, owner),
                   cursor=lambda r: [r.starts_at.isoformat(), r.id])


@router.post("", response_model=WindowRead, status_code=201)
def create_window(owner_id: str, body: WindowCreate, session: SessionDep,
                  principal: PrincipalDep) -> WindowRead:
    owner = visible_owner(session, principal, owner_id)
    return service.read(service.create_manual(session, owner, body), owner)


@router.get("/{window_id}", response_model=WindowRead)
def get_window(owner_id: str, window_id: str, session: SessionDep,
               principal: PrincipalDep) -> WindowRead:
    owner = visible_owner(session, principal, owner_id)
    return service.read(service.visible_window(session, owner, window_id), owner)


@router.patch("/{window_id}", response_model=WindowRead)
def update_window(owner_id: str, window_id: str, body: WindowUpdate, session: SessionDep,
                  principal: PrincipalDep) -> WindowRead:
    owner = visible_owner(session, principal, owner_id)
    row = service.visible_window(session, owner, window_id)
    return service.read(service.update_manual(session, row, body), owner)


@router.delete("/{window_id}", status_code=204, response_class=Response)
def delete_window(owner_id: str, window_id: str, session: SessionDep,
                  principal: PrincipalDep) -> Response:
    owner = visible_owner(session, principal, owner_id)
    service.delete_manual(session, service.visible_window(session, owner, window_id))
    return Response(status_code=204)
