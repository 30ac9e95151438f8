"""An owner's reply wording: saved templates over the default ones."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app import clock
from app.templates import repository
from app.templates.models import TemplateRow


def save(session: Session, owner_id: str, situation: str, language: str, tone: str,
         source: str) -> TemplateRow:
    """Save the owner's wording for one situation, language and tone (``source`` checked)."""
    row = repository.get(session, owner_id, situation, language, tone)
    now = clock.now()
    if row is None:
        row = repository.add(session, TemplateRow(
            owner_id=owner_id, situation=situation, language=language, tone=tone,
            source=source, updated_at=now))
    else:
        row.source, row.updated_at = source, now
        session.flush()
    return row


def reset(session: Session, owner_id: str, situation: str, language: str, tone: str) -> None:
    """Back to the default wording."""
    row = repository.get(session, owner_id, situation, language, tone)
    if row is not None:
        repository.remove(session, row)
