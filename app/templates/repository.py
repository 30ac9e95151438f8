from __future__ import annotations

from sqlalchemy.orm import Session

from app.templates.models import TemplateRow


def get(session: Session, owner_id: str, situation: str, language: str,
        tone: str) -> TemplateRow | None:
    return session.get(TemplateRow, (owner_id, situation, language, tone))
