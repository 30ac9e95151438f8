from __future__ import annotations

from fastapi import APIRouter, Response

from app.deps import PrincipalDep, SessionDep
from app.owners.service import visible_owner
from app.pagination import CursorQuery, LimitQuery, Page, decode_cursor, page_of
from app.rules import service
from app.rules.schemas import RuleCreate, RuleRead, RuleUpdate

router = APIRouter(prefix="/v1/owners/{owner_id}/rules", tags=["rules"])


@router.get("", response_model=Page[RuleRead],
            description="The rules in force: the owner's own, and the country's defaults "
                        "for the occasions they have no rule for (source 'country').")
def list_rules(owner_id: str, session: SessionDep, principal: PrincipalDep,
               limit: LimitQuery = 50, cursor: CursorQuery = None) -> Page[RuleRead]:
    owner = visible_owner(session, principal, owner_id)
    after = decode_cursor(cursor)
    rows = [r for r in service.in_force(session, owner) if after is None or r.id > after]
    return page_of(rows, limit, item=lambda r: r, cursor=lambda r: r.id)


@router.post("", response_model=RuleRead, status_code=201,
             description="An owner's rule replaces the country's default for its occasion "
                         "only; a second rule for one occasion is a 409 naming the first. "
                         "Windows are re-materialised at once.")
def create_rule(owner_id: str, body: RuleCreate, session: SessionDep,
                principal: PrincipalDep) -> RuleRead:
    owner = visible_owner(session, principal, owner_id)
    return service.read(session, owner, service.create(session, owner, body))


@router.get("/{rule_id}", response_model=RuleRead)
def get_rule(owner_id: str, rule_id: str, session: SessionDep,
             principal: PrincipalDep) -> RuleRead:
    owner = visible_owner(session, principal, owner_id)
    return service.get(session, owner, rule_id)


@router.patch("/{rule_id}", response_model=RuleRead)
def update_rule(owner_id: str, rule_id: str, body: RuleUpdate, session: SessionDep,
                principal: PrincipalDep) -> RuleRead:
    owner = visible_owner(session, principal, owner_id)
    row = service.visible_rule(session, owner, rule_id)
    return service.read(session, owner, service.update(session, owner, row, body))


@router.delete("/{rule_id}", status_code=204, response_class=Response)
def delete_rule(owner_id: str, rule_id: str, session: SessionDep,
                principal: PrincipalDep) -> Response:
    owner = visible_owner(session, principal, owner_id)
    service.delete(session, owner, service.visible_rule(session, owner, rule_id))
    return Response(status_code=204)
