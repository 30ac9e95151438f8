from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.routing import Route

from app import clock, validation
from app.contacts import repository as contacts_repository
from app.decisions import repository, service
from app.decisions.schemas import (
    ActivityIn,
    ActivityOut,
    AvailabilityOut,
    DecisionOut,
    EvaluateRequest,
    EventOut,
    status_name,
)
from app.deps import CallerDep, PrincipalDep, SessionDep, get_caller, json_body
from app.domain import availability
from app.domain.decision import upcoming_off
from app.domain.email_rules import should_not_reply
from app.domain.model import InboundMessage, Suppression
from app.errors import Invalid, NotFound
from app.owners.service import visible_owner
from app.pagination import CursorQuery, LimitQuery, Page, decode_cursor, page_of
from app.windows.policy import policy_of

router = APIRouter(prefix="/v1/owners/{owner_id}", tags=["decisions"])


def _aware(value: datetime | None, name: str) -> datetime:
    if value is None:
        return clock.now()
    try:
        return validation.aware(value)
    except ValueError as exc:
        raise Invalid(str(exc), field=name) from exc


IDEMPOTENCY_KEY_MAX = 300


async def evaluate(request: Request) -> Response:
    """``POST /v1/owners/{owner_id}/evaluate``: a Starlette route that reads its request
    itself. Every message comes through here or ``/hooks``, and FastAPI's dependency
    solving and body parsing would cost more than the decision; the answers (and every
    refusal) are the ones FastAPI gives, through the same middleware and error handlers.
    Documented by ``evaluate_documented``."""
    owner_id = request.path_params["owner_id"]
    principal = await get_caller(request)
    idempotency_key = request.headers.get("idempotency-key")
    header_errors = []
    if idempotency_key is not None and len(idempotency_key) > IDEMPOTENCY_KEY_MAX:
        header_errors.append({
            "type": "string_too_long", "loc": ("header", "idempotency-key"),
            "msg": f"String should have at most {IDEMPOTENCY_KEY_MAX} characters"})
    body = json_body(await request.body(), request.headers.get("content-type"),
                     EvaluateRequest, errors=header_errors)
    if not principal.may_see(owner_id):
        raise NotFound(f"No owner '{owner_id}'.")
    message = InboundMessage(
        platform=body.channel, address=body.contact.address.strip(), name=body.contact.name,
        language=body.contact.language, tone=body.contact.tone, text=body.text,
        subject=body.subject, received_at=body.received_at or clock.now(),
        headers={k.lower(): v for k, v in body.headers.items()},
        suppressed=_email_suppression(body), dedupe_key=idempotency_key)
    if not message.address:
        raise Invalid("contact.address must not be blank", field="contact.address")
    # Decided and recorded with the other messages of the moment (group commit); answered
    # after the commit.
    outcome = await request.app.state.recorder.evaluate(owner_id, message,
                                                        dry_run=body.dry_run)
    return Response(outcome.json(), media_type="application/json")


# The application's first route (``main.create_app``): every message comes through here or
# ``/hooks``.
evaluate_route = Route(router.prefix + "/evaluate", evaluate, methods=["POST"],
                       include_in_schema=False)


@router.get("/availability", response_model=AvailabilityOut,
            summary="Status, window, back_at, reply_by and the next change at an instant")
def get_availability(
    owner_id: str, session: SessionDep, principal: PrincipalDep,
    at: Annotated[datetime | None, Query(description="ISO 8601 with offset; default: now")] = None,
) -> AvailabilityOut:
    owner = visible_owner(session, principal, owner_id)
    when = _aware(at, "at")
    policy = policy_of(session, owner, when)
    snapshot = availability.status_at(policy, when)
    tz = policy.timezone
    nxt = availability.next_change(policy, when)
    return AvailabilityOut(
        status=status_name(snapshot.status), at=when.astimezone(tz),
        window=service.window_out(snapshot.window, tz),
        back_at=availability.back_at(policy, when).astimezone(tz),
        reply_by=availability.reply_by(policy, when).astimezone(tz),
        next_change=nxt.astimezone(tz) if nxt else None,
        upcoming=[service.window_out(w, tz) for w in upcoming_off(policy, when)])



# What /docs shows for the route above: the same path, never mounted.
documented = APIRouter(prefix="/v1/owners/{owner_id}", tags=["decisions"])


@documented.post("/evaluate", response_model=DecisionOut,
                 summary="The decision for one message; recorded unless dry_run")
async def evaluate_documented(owner_id: str, body: EvaluateRequest, principal: CallerDep,
                              idempotency_key: Annotated[str | None, Header(
                                  max_length=IDEMPOTENCY_KEY_MAX)] = None) -> DecisionOut:
    raise NotImplementedError  # served by ``evaluate``


def _email_suppression(body: EvaluateRequest) -> Suppression | None:
    """An integrator passing an email's headers gets the same RFC 3834 protection."""
    if not body.headers:
        return None
    headers = {k.lower(): v for k, v in body.headers.items()}
    return should_not_reply(headers, headers.get("return-path", body.contact.address), [], [])


@router.post("/activity", response_model=ActivityOut, status_code=201,
             summary="The owner is active now: auto-replies pause for a while")
def activity(owner_id: str, body: ActivityIn, session: SessionDep,
             principal: PrincipalDep) -> ActivityOut:
    owner = visible_owner(session, principal, owner_id)
    client_key = contact_id = None
    if body.contact:
        contact = contacts_repository.get(session, owner.id, body.contact)
        if contact is None and body.channel:
            contact = contacts_repository.by_address(session, owner.id, body.channel, body.contact)
        if contact is None:
            raise Invalid(f"No contact '{body.contact}'.", field="contact")
        client_key, contact_id = contact.client_key, contact.id
    when = _aware(body.at, "at")
    until = service.record_activity(session, owner, client_key=client_key, at=when)
    return ActivityOut(active_until=until, contact_id=contact_id)


@router.get("/events", response_model=Page[EventOut],
            summary="The audit trail: every message, the decision and its reason (newest first)")
def list_events(
    owner_id: str, session: SessionDep, principal: PrincipalDep,
    contact: Annotated[str | None, Query(max_length=64, description="A contact id")] = None,
    since: Annotated[datetime | None, Query(description="ISO 8601 with offset")] = None,
    limit: LimitQuery = 50, cursor: CursorQuery = None,
) -> Page[EventOut]:
    owner = visible_owner(session, principal, owner_id)
    client_key = None
    if contact is not None:
        row = contacts_repository.get(session, owner.id, contact)
        if row is None:
            raise Invalid(f"No contact '{contact}'.", field="contact")
        client_key = row.client_key
    after = decode_cursor(cursor)
    rows = repository.page(session, owner.id, limit=limit,
                           after=after if isinstance(after, int) else None,
                           client_key=client_key,
                           since=_aware(since, "since") if since else None)
    return page_of(rows, limit, item=_event_out, cursor=lambda r: r.id)


def _event_out(r: Any) -> EventOut:
    return EventOut(id=r.id, kind=r.kind, at=r.at, contact_id=r.contact_id, source=r.source,
                    text=r.text, status=r.status, window_id=r.window_id, urgent=r.urgent,
                    suppressed=r.suppressed, situation=r.situation,
                    replied=r.replied_at is not None,
                    decision=service.stored_decision(r.id, r.decision)
                    if r.kind == "inbound" else (r.decision or {}))
