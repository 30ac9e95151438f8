from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.orm import Session

from app import clock
from app.domain import rules
from app.domain.model import WindowSource
from app.domain.refusal import Refusal
from app.errors import Conflict, Invalid, NotFound
from app.owners.models import Owner
from app.rules import repository
from app.rules.models import RuleRow
from app.rules.schemas import RuleCreate, RuleRead, RuleUpdate
from app.windows.computed import owner_rules, rematerialise


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


COUNTRY_PREFIX = "country:"


def visible_rule(session: Session, owner: Owner, rule_id: str) -> RuleRow:
    row = repository.get(session, owner.id, rule_id)
    if row is None:
        if rule_id.startswith(COUNTRY_PREFIX) and any(
                r.id == rule_id for r in in_force(session, owner)):
            raise Conflict(f"'{rule_id}' is the country's default; add a rule for its "
                           "occasion to change it (the default then steps aside).")
        raise NotFound(f"No rule '{rule_id}' for owner '{owner.id}'.")
    return row


def in_force(session: Session, owner: Owner) -> list[RuleRead]:
    """The owner's rules and, for every occasion they have no rule for, the country's
    default (``source: "country"``, id ``country:…``), ordered by id."""
    today = clock.now().date()
    out = []
    for rule, source in owner_rules(session, owner):
        data = rules.rule_to_dict(rule)
        notes = rules.span_notes(rule, country=owner.country, today=today)
        if source is WindowSource.RULE:
            row = repository.get(session, owner.id, rule.id)
            out.append(RuleRead.model_validate(row).model_copy(update={"notes": notes}))
        else:
            out.append(RuleRead(**{**data, "id": COUNTRY_PREFIX + rule.id}, source="country",
                                notes=notes))
    return sorted(out, key=lambda r: r.id)


def read(session: Session, owner: Owner, row: RuleRow) -> RuleRead:
    notes = rules.span_notes(rules.rule_from_dict(row.as_rule_dict()), country=owner.country,
                             today=clock.now().date())
    return RuleRead.model_validate(row).model_copy(update={"notes": notes})


def get(session: Session, owner: Owner, rule_id: str) -> RuleRead:
    if rule_id.startswith(COUNTRY_PREFIX):
        for rule in in_force(session, owner):
            if rule.id == rule_id:
                return rule
    return read(session, owner, visible_rule(session, owner, rule_id))


def _refuse_a_second(session: Session, owner: Owner, occasion: str,
                     keep: str | None = None) -> None:
    for other in repository.for_owner(session, owner.id):
        if other.occasion == occasion and other.id != keep:
            refusal = Refusal("second_rule", "Owner '{owner}' already has rule '{rule}' for "
                              "{occasion}; change that one (PATCH …/rules/{rule}).",
                              owner=owner.id, rule=other.id, occasion=occasion)
            raise Conflict(str(refusal), existing=other.id) from refusal


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
    _refuse_a_second(session, owner, body.occasion)
    now = clock.now()
    row = RuleRow(id=rid, owner_id=owner.id, created_at=now, updated_at=now)
    _apply(row, data)
    repository.add(session, row)
    rematerialise(session, owner)
    return row


def update(session: Session, owner: Owner, row: RuleRow, body: RuleUpdate) -> RuleRow:
    merged = {**row.as_rule_dict(), **{k: v for k, v in body.model_dump(exclude_unset=True).items()
                                       if v is not None or k in ("response_time", "title")}}
    checked = _checked(merged)
    _refuse_a_second(session, owner, checked["occasion"], keep=row.id)
    _apply(row, checked)
    row.updated_at = clock.now()
    session.flush()
    rematerialise(session, owner)
    return row


def delete(session: Session, owner: Owner, row: RuleRow) -> None:
    repository.remove(session, row)
    rematerialise(session, owner)
