from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from app import clock, validation
from app.deps import PrincipalDep, SessionDep
from app.domain import rendering
from app.errors import Invalid
from app.owners.service import visible_owner
from app.replies import service as replies
from app.templates import repository, service

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
    row = service.save(session, owner.id, situation, language, tone, _validated(body.source))
    return TemplateOut(situation=situation, language=language, tone=tone, custom=True,
                       source=row.source, updated_at=row.updated_at)


@router.delete("/{situation}/{language}/{tone}", status_code=204, response_class=Response,
               summary="Go back to the default wording")
def delete_template(owner_id: str, situation: Situation, language: Language, tone: Tone,
                    session: SessionDep, principal: PrincipalDep) -> Response:
    owner = visible_owner(session, principal, owner_id)
    service.reset(session, owner.id, situation, language, tone)
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
    source = _validated(body.source) if body.source is not None else None
    reply = replies.preview(session, owner, situation=situation, language=language, tone=tone,
                            at=body.at or clock.now(), contact_name=body.contact_name,
                            source=source)
    return PreviewOut(text=reply.text, subject=reply.subject)
