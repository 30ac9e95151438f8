"""An owner's computed windows: what their rules (or their country's defaults) and the
country's confirmations make of the calendar, stored for the coming months
(``rematerialise``) and computed on the fly past them (``rule_windows``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import clock, validation
from app.country_calendar.repository import active_confirmations
from app.domain import hours, rules
from app.domain.model import WindowSource
from app.owners.models import Owner
from app.rules.repository import for_owner, for_owners
from app.windows import repository
from app.windows.models import WindowRow

HORIZON_MONTHS = 13


@dataclass(frozen=True, slots=True)
class Moved:
    """A computed window whose dates changed (a confirmation, a rule edit)."""

    before: WindowRow
    after: WindowRow


def horizon(today: date) -> tuple[date, date]:
    return today - timedelta(days=1), today + timedelta(days=31 * HORIZON_MONTHS)


def rematerialise(session: Session, owner: Owner, *, today: date | None = None,
                  confirmations: dict[tuple[str, int], date] | None = None) -> list[Moved]:
    """Bring the owner's computed windows in line with rules, country and confirmations.

    Windows keep their deterministic ids, so a moved window is updated in place and a
    caller can tell clients who were given the old dates.
    """
    return rematerialise_many(session, [owner], today=today, confirmations=confirmations)


def rematerialise_many(session: Session, owners: Sequence[Owner], *, today: date | None = None,
                       confirmations: dict[tuple[str, int], date] | None = None) -> list[Moved]:
    """``rematerialise`` for many owners, with one read of their rules, one of their stored
    windows and a statement per kind of write. ``confirmations`` are the active ones of the
    owners' one country, when the caller has them.

    Owners who keep their country's defaults (no rule of their own) get the same windows
    as every such owner of the country in the same timezone, but for the owner's id in
    front of each window's: those are computed once per country and timezone."""
    if not owners:
        return []
    today = today or clock.now().date()
    start, end = horizon(today)
    ids = [owner.id for owner in owners]
    own_rules = for_owners(session, ids)
    # The earliest local midnight of ``start`` anywhere (UTC+14), narrowed per owner below.
    earliest = datetime.combine(start - timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    stored: dict[str, dict[str, Any]] = {owner_id: {} for owner_id in ids}
    for row in repository.computed_of(session, ids, since=earliest):
        stored[row.owner_id][row.id] = row
    known: dict[str, dict[tuple[str, int], date]] = {}  # confirmations per country
    defaults: dict[tuple[str, str], list[dict[str, Any]]] = {}  # by country and timezone
    moved: list[Moved] = []
    gone: list[str] = []
    added: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    now = clock.now()
    for owner in owners:
        since = datetime.combine(start, datetime.min.time(),
                                 tzinfo=validation.zone(owner.timezone))
        existing = {wid: row for wid, row in stored[owner.id].items() if row.ends_at > since}
        if confirmations is None and owner.country not in known:
            known[owner.country] = active_confirmations(session, owner.country)
        confirmed = known[owner.country] if confirmations is None else confirmations
        mine = own_rules.get(owner.id, [])
        if mine:
            made = _window_values(session, owner, start, end, today=today,
                                  confirmations=confirmed, own_rules=mine, id_prefix=f"{owner.id}:")
        else:
            group = (owner.country, owner.timezone)
            if group not in defaults:
                defaults[group] = _window_values(session, owner, start, end, today=today,
                                                 confirmations=confirmed, own_rules=[],
                                                 id_prefix="")
            made = [{**values, "id": f"{owner.id}:{values['id']}"} for values in defaults[group]]
        wanted = {values["id"]: values for values in made}
        gone += [wid for wid in existing if wid not in wanted]
        for wid, new in wanted.items():
            old = existing.get(wid)
            if old is None:
                added.append({**new, "owner_id": owner.id, "created_at": now, "updated_at": now})
                continue
            if all(getattr(old, c) == new[c] for c in _COMPUTED):
                continue  # an untouched window keeps its row (and its updated_at)
            changes.append({**new, "updated_at": now})
            if (old.starts_at, old.ends_at) != (new["starts_at"], new["ends_at"]):
                before = old._asdict()
                moved.append(Moved(before=WindowRow(**before),
                                   after=WindowRow(**{**before, **new, "updated_at": now})))
    repository.delete_ids(session, gone)
    repository.insert_rows(session, added)
    repository.update_computed(session, changes)
    return moved


_COLUMNS = [c.key for c in WindowRow.__table__.columns]
# What the rules decide about a computed window (the rest is identity and bookkeeping).
_COMPUTED = [c for c in _COLUMNS if c not in ("id", "owner_id", "created_at", "updated_at")]


@dataclass(frozen=True, slots=True)
class RuleWindow:
    row: WindowRow


def owner_rules(session: Session, owner: Owner, own: list[Any] | None = None
                ) -> list[tuple[rules.Rule, WindowSource]]:
    """The rules in force for the owner: their own (``own``, when the caller read them
    already), and the country's defaults for every occasion they have no rule for — an
    owner's rule replaces the default for its occasion only."""
    if own is None:
        own = for_owner(session, owner.id)
    mine = [rules.rule_from_dict(r.as_rule_dict()) for r in own]
    covered = {rule.occasion for rule in mine}
    return [(rule, WindowSource.RULE) for rule in mine] + [
        (rule, WindowSource.COUNTRY) for rule in rules.default_rules(owner.country)
        if rule.occasion not in covered]


def rule_windows(session: Session, owner: Owner, start: date, end: date, *,
                 today: date, confirmations: dict[tuple[str, int], date] | None = None,
                 own_rules: list[Any] | None = None) -> list[RuleWindow]:
    """The owner's computed windows over ``[start, end]`` (days in the owner's timezone).
    ``confirmations`` and ``own_rules``: the country's active confirmations and the owner's
    rule rows, when the caller has them already."""
    return [RuleWindow(row=WindowRow(owner_id=owner.id, **values))
            for values in _window_values(session, owner, start, end, today=today,
                                         confirmations=confirmations, own_rules=own_rules,
                                         id_prefix=f"{owner.id}:")]


def _window_values(session: Session, owner: Owner, start: date, end: date, *, today: date,
                   confirmations: dict[tuple[str, int], date] | None,
                   own_rules: list[Any] | None, id_prefix: str) -> list[dict[str, Any]]:
    """``rule_windows`` as column values (without ``owner_id``), window ids after
    ``id_prefix``."""
    in_force = owner_rules(session, owner, own_rules)
    if not in_force:
        return []
    source_of = {rule.id: source for rule, source in in_force}
    owner_rule_list = [rule for rule, _source in in_force]
    if confirmations is None:
        confirmations = active_confirmations(session, owner.country)
    tz = validation.zone(owner.timezone)
    made = rules.materialise(owner_rule_list, country=owner.country, tz=tz, start=start,
                             end=end, today=today, confirmations=confirmations,
                             id_prefix=id_prefix)
    result = []
    for item in made:
        w = item.window
        result.append({
            "id": w.id, "kind": str(w.kind), "source": str(source_of[item.rule_id]),
            "starts_at": w.starts_at, "ends_at": w.ends_at, "occasion": item.occasion,
            "hijri_year": item.hijri_year, "rule_id": item.rule_id, "title": dict(w.title),
            "tentative": w.tentative, "earliest_start": w.earliest_start,
            "latest_start": w.latest_start, "earliest_end": w.earliest_end,
            "latest_end": w.latest_end, "move_chance": w.move_chance,
            "reply_slots": [f"{s.start:%H:%M}-{s.end:%H:%M}" for s in w.reply_slots],
            "response_time": _iso(w.response_time), "notice_days": w.notice_days,
            "note": None, "extra": None})
    return result


def _iso(value: timedelta | None) -> str | None:
    return hours.format_duration(value) if value is not None else None
