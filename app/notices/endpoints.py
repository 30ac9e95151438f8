from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import select

from app import clock
from app.deps import PrincipalDep, SessionDep
from app.errors import NotFound
from app.notices import service
from app.owners.service import visible_owner
from app.windows.models import WindowRow
from app.windows.schemas import WindowRead
from app.windows.service import read as window_read

router = APIRouter(prefix="/v1/owners/{owner_id}", tags=["digest"])


class DigestOut(BaseModel):
    window: WindowRead
    clients: int
    urgent: int
    entries: list[service.DigestEntry]
    text: str


@router.get("/digest", response_model=DigestOut,
            summary="Who wrote during a window, urgent first (default: the last off window)")
def get_digest(owner_id: str, session: SessionDep, principal: PrincipalDep,
               window: Annotated[str | None, Query(max_length=160)] = None) -> DigestOut:
    owner = visible_owner(session, principal, owner_id)
    if window is not None:
        row = session.get(WindowRow, window)
        if row is None or row.owner_id != owner.id:
            raise NotFound(f"No window '{window}' for owner '{owner.id}'.")
    else:
        row = session.scalars(select(WindowRow).where(
            WindowRow.owner_id == owner.id, WindowRow.kind == "off",
            WindowRow.starts_at <= clock.now()).order_by(WindowRow.starts_at.desc())).first()
        if row is None:
            raise NotFound("No off window has started yet.")
    entries = service.digest(session, owner, row)
    return DigestOut(window=window_read(row, owner), clients=len(entries),
                     urgent=sum(1 for e in entries if e.urgent),
                     entries=entries,
                     text=service.format_digest(owner, row, entries))
