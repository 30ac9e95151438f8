from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.db import add, core, remove  # noqa: F401 - add, remove: the writes every repository has
from app.templates.models import TemplateRow


def get(session: Session, owner_id: str, situation: str, language: str,
        tone: str) -> TemplateRow | None:
    return session.get(TemplateRow, (owner_id, situation, language, tone))


# Built once: replies ask for every owner whose clients they answer.
_SOURCES = select(TemplateRow.owner_id, TemplateRow.language, TemplateRow.tone,
                  TemplateRow.source).where(
    TemplateRow.owner_id.in_(bindparam("owner_ids", expanding=True)),
    TemplateRow.situation == bindparam("situation"))


def sources_of(session: Session, owner_ids: Sequence[str], situation: str
               ) -> dict[str, dict[tuple[str, str], str]]:
    """The owners' own template sources for ``situation``, by owner id, then by language
    and tone (owners with none are absent): a statement per 500 owners."""
    found: dict[str, dict[tuple[str, str], str]] = {}
    for first in range(0, len(owner_ids), 500):
        rows = core(session).execute(_SOURCES, {
            "owner_ids": list(owner_ids[first:first + 500]), "situation": situation})
        for row in rows:
            found.setdefault(row.owner_id, {})[(row.language, row.tone)] = row.source
    return found


def for_owner(session: Session, owner_id: str) -> list[TemplateRow]:
    """The owner's own templates (the console marks them among the defaults)."""
    return list(session.scalars(select(TemplateRow).where(TemplateRow.owner_id == owner_id)))
