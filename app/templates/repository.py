from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app.db import add, core, remove  # noqa: F401 - add, remove: the writes every repository has
from app.templates.models import TemplateRow


def get(session: Session, owner_id: str, situation: str, language: str,
        tone: str) -> TemplateRow | None:
    return session.get(TemplateRow, (owner_id, situation, language, tone))


_SOURCE = select(TemplateRow.source).where(
    TemplateRow.owner_id == bindparam("owner_id"), TemplateRow.situation == bindparam("situation"),
    TemplateRow.language == bindparam("language"), TemplateRow.tone == bindparam("tone"))


def source_of(session: Session, owner_id: str, situation: str, language: str,
              tone: str) -> str | None:
    """The owner's own template source, or None (a read built once: replies ask often)."""
    return core(session).scalar(_SOURCE, {"owner_id": owner_id, "situation": situation,
                                           "language": language, "tone": tone})



def for_owner(session: Session, owner_id: str) -> list[TemplateRow]:
    """The owner's own templates (the console marks them among the defaults)."""
    return list(session.scalars(select(TemplateRow).where(TemplateRow.owner_id == owner_id)))
