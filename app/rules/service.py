from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.domain import rules
from app.errors import Invalid, NotFound
from app.owners.models import Owner
from app.rules import repository
from app.rules.models import RuleRow
from app.rules.schemas import RuleCreate, RuleUpdate
from app.windows.computed import rematerialise


def _checked(data: dict[str, Any]) -> dict[str, Any]:
    """Validate with the domain's own parser and store its canonical form."""
    try:
        return rules.rule_to_dict(rules.rule_from_dict(data))
    except ValueError as exc:
        raise Invalid(str(exc), field=_field_of(str(exc))) from exc


def _field_of(message: str) -> str:
    for name in ("span", "reply_slots", "response_time", "notice_days", "title", "occasion",
                 "kind"):
        if name in message:
            return name
    return "span"


def visible_rule(session: Session, owner: Owner, rule_id: str) -> RuleRow:
    row = repository.get(session, owner.id, rule_id)
    if row is None:
        raise NotFound(f"No rule '{rule_id}' for owner '{owner.id}'.")
    return row


def _apply(row: RuleRow, data: dict[str, Any]) -> None:
    row.occasion = data["occasion"]
    row.kind = data["kind"]
    row.span = data["span"]
    row.reply_slots = data.get("reply_slots") or []
    row.response_time = data.get("response_time")
    row.notice_days = data.get("notice_days", 7)
    row.title = data.get("title")


def create(session: Session, owner: Owner, body: RuleCreate) -> RuleRow:
    rid = "r_" + secrets.token_hex(6)
    data = _checked({"id": rid, **body.model_dump()})
    now = clock.now()
    row = RuleRow(id=rid, owner_id=owner.id, created_at=now, updated_at=now)
    _apply(row, data)
    repository.add(session, row)
    rematerialise(session, owner)
    return row


def update(session: Session, owner: Owner, row: RuleRow, body: RuleUpdate) -> RuleRow:
    merged = {**row.as_rule_dict(), **{k: v for k, v in body.model_dump(exclude_unset=True).items()
                                       if v is not None or k in ("response_time", "title")}}
    _apply(row, _checked(merged))
    row.updated_at = clock.now()
    session.flush()
    rematerialise(session, owner)
    return row


def delete(session: Session, owner: Owner, row: RuleRow) -> None:
    repository.remove(session, row)
    rematerialise(session, owner)
