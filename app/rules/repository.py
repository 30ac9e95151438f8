from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import add, remove  # noqa: F401 - the writes every repository has
from app.rules.models import RuleRow


def for_owner(session: Session, owner_id: str) -> list[RuleRow]:
    return list(session.scalars(
        select(RuleRow).where(RuleRow.owner_id == owner_id).order_by(RuleRow.id)))


def for_owners(session: Session, owner_ids: list[str]) -> dict[str, list[RuleRow]]:
    """``for_owner`` for many owners in one statement (owners without rules are absent)."""
    found: dict[str, list[RuleRow]] = {}
    for row in session.scalars(select(RuleRow).where(RuleRow.owner_id.in_(owner_ids))
                               .order_by(RuleRow.id)):
        found.setdefault(row.owner_id, []).append(row)
    return found


def get(session: Session, owner_id: str, rule_id: str) -> RuleRow | None:
    row = session.get(RuleRow, rule_id)
    return row if row is not None and row.owner_id == owner_id else None

