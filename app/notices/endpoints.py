from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app import clock
from app.deps import PrincipalDep, SessionDep
from app.errors import NotFound
from app.notices import service
from app.owners.service import visible_owner
from app.windows import repository as windows
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
        row = windows.get(session, owner.id, window)
        if row is None:
            raise NotFound(f"No window '{window}' for owner '{owner.id}'.")
    else:
        row = windows.last_off_started(session, owner.id, clock.now())
        if row is None:
            raise NotFound("No off window has started yet.")
    entries = service.digest(session, owner, row)
    return DigestOut(window=window_read(row, owner), clients=len(entries),
                     urgent=sum(1 for e in entries if e.urgent),
                     entries=entries,
                     text=service.format_digest(owner, row, entries))
