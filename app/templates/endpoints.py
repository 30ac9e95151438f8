from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from app import clock, validation
from app.decisions import service as decisions
from app.deps import PrincipalDep, SessionDep
from app.domain import rendering
from app.domain.decision import Inquiry, decide
from app.errors import Invalid
from app.owners.service import visible_owner
from app.templates import repository
from app.templates.models import TemplateRow

router = APIRouter(prefix="/v1/owners/{owner_id}/templates", tags=["templates"])

Situation = Annotated[Literal["off", "reduced", "outside_hours", "advance_notice", "urgent",
                              "correction", "back"], Path()]
Language = Annotated[Literal["ar", "en"], Path()]
Tone = Annotated[Literal["formal", "friendly"], Path()]


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(min_length=1, max_length=4000,
                        description="Jinja2 text (sandboxed). Variables: see the README.")


class TemplateOut(BaseModel):
    situation: str
    language: str
    tone: str
    source: str
    custom: bool
    updated_at: datetime | None


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str | None = Field(None, max_length=4000, description="Default: the saved template.")
    at: datetime | None = Field(None, description="When the imagined message arrives (with offset).")
    contact_name: str | None = Field(None, max_length=200)


class PreviewOut(BaseModel):
    text: str
    subject: str


def _validated(source: str) -> str:
    try:
        rendering.validate_template(source)
    except rendering.TemplateInvalid as exc:
        raise Invalid(str(exc), field="source") from exc
    return source


@router.get("/{situation}/{language}/{tone}", response_model=TemplateOut)
def get_template(owner_id: str, situation: Situation, language: Language, tone: Tone,
                 session: SessionDep, principal: PrincipalDep) -> TemplateOut:
    owner = visible_owner(session, principal, owner_id)
    row = repository.get(session, owner.id, situation, language, tone)
    if row is None:
        return TemplateOut(situation=situation, language=language, tone=tone, custom=False,
                           source=rendering.default_template(situation, language, tone),
                           updated_at=None)
    return TemplateOut(situation=situation, language=language, tone=tone, custom=True,
                       source=row.source, updated_at=row.updated_at)


@router.put("/{situation}/{language}/{tone}", response_model=TemplateOut)
def put_template(owner_id: str, situation: Situation, language: Language, tone: Tone,
                 body: TemplateIn, session: SessionDep, principal: PrincipalDep) -> TemplateOut:
    owner = visible_owner(session, principal, owner_id)
    source = _validated(body.source)
    row = repository.get(session, owner.id, situation, language, tone)
    now = clock.now()
    if row is None:
        row = TemplateRow(owner_id=owner.id, situation=situation, language=language, tone=tone,
                          source=source, updated_at=now)
        session.add(row)
    else:
        row.source, row.updated_at = source, now
    session.flush()
    return TemplateOut(situation=situation, language=language, tone=tone, custom=True,
                       source=source, updated_at=now)


@router.delete("/{situation}/{language}/{tone}", status_code=204, response_class=Response,
               summary="Go back to the default wording")
def delete_template(owner_id: str, situation: Situation, language: Language, tone: Tone,
                    session: SessionDep, principal: PrincipalDep) -> Response:
    owner = visible_owner(session, principal, owner_id)
    row = repository.get(session, owner.id, situation, language, tone)
    if row is not None:
        session.delete(row)
    return Response(status_code=204)


@router.post("/{situation}/{language}/{tone}/preview", response_model=PreviewOut)
def preview(owner_id: str, situation: Situation, language: Language, tone: Tone,
            body: PreviewIn, session: SessionDep, principal: PrincipalDep) -> PreviewOut:
    owner = visible_owner(session, principal, owner_id)
    if body.at is not None:
        try:
            validation.aware(body.at)
        except ValueError as exc:
            raise Invalid(str(exc), field="at") from exc
    at = body.at or clock.now()
    policy = decisions.policy_of(session, owner, at)
    traits = decisions.traits_of(owner)
    verdict = decide(policy, Inquiry(at=at, text="", contact_language=language,
                                     contact_tone=tone), traits, [])
    source = _validated(body.source) if body.source is not None else None
    window = verdict.window or (verdict.upcoming[0] if verdict.upcoming else None)
    reply = decisions.render_verdict(session, owner, policy, verdict, situation=situation,
                             contact_name=body.contact_name, subject=None, window=window,
                             source=source)
    return PreviewOut(text=reply.text, subject=reply.subject)
