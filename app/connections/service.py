"""Channel connections: settings validated by the platform's channel module (its
``Settings`` model and ``modes``), secrets sealed, and a cache of ready-to-use channel
objects for the webhook hot path."""

from __future__ import annotations

import secrets as random_secrets
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app import clock
from app.channels.base import Channel
from app.channels.registry import build_channel, channel_class
from app.connections import repository
from app.connections.models import ChannelRow
from app.connections.schemas import ChannelCreate, ChannelRead, ChannelUpdate
from app.crypto import SecretBox
from app.domain.refusal import Refusal
from app.errors import Invalid, NotFound
from app.owners.models import Owner
from app.targets import PrivateTarget, refuse_private_target

# The settings that name somewhere the relay connects to (see app.targets).
TARGETS = ("callback_url", "api_base_url", "smtp_host")


def _now() -> datetime:
    return clock.now()  # looked up on each call, so a test that freezes app.clock reaches the channels


def _split(platform: str, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Plain settings and secrets (to be sealed), as the platform's ``Settings`` declares them."""
    model = channel_class(platform).Settings
    unknown = sorted(set(values) - set(model.model_fields))
    if unknown:
        raise Invalid(f"Unknown setting(s) for {platform}: {', '.join(unknown)}. "
                      f"Known: {', '.join(sorted(model.model_fields)) or 'none'}.", field="settings")
    secret_names = model.secret_names()
    plain = {k: v for k, v in values.items() if k not in secret_names}
    sealed = {k: v for k, v in values.items() if k in secret_names}
    for key, value in sealed.items():
        if not isinstance(value, str) or not value:
            raise Invalid(f"'{key}' must be a non-empty string.", field=f"settings.{key}")
    return plain, sealed


def _check(platform: str, mode: str, merged: dict[str, Any], *, allow_private: bool) -> None:
    cls = channel_class(platform)
    try:
        settings = cls.Settings.model_validate(merged)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise Invalid(f"{platform} setting '{where}': {error['msg']}.",
                      field=f"settings.{where}") from exc
    missing = settings.missing(mode)
    if missing:
        refusal = Refusal("channel_needs", "{platform} needs: {missing}.", platform=platform,
                          missing=", ".join(missing))
        raise Invalid(str(refusal), field=f"settings.{missing[0]}") from refusal
    if mode not in cls.modes:
        raise Invalid(f"{platform} cannot work in mode '{mode}'; use "
                      f"{' or '.join(repr(m) for m in cls.modes)}.", field="mode")
    if not allow_private:
        for name in TARGETS:
            value = getattr(settings, name, None)
            if value:
                try:
                    refuse_private_target(str(value))
                except PrivateTarget as exc:
                    refusal = Refusal("private_target", "{platform} setting '{setting}': "
                                      "{reason}; only public internet hosts can be reached.",
                                      platform=platform, setting=name, reason=str(exc))
                    raise Invalid(str(refusal), field=f"settings.{name}") from refusal
    try:
        build_channel(platform, {**merged, "mode": mode}, now=_now)
    except (ValueError, TypeError, KeyError) as exc:
        raise Invalid(f"These settings do not work for {platform}: {exc}",
                      field="settings") from exc


def read(row: ChannelRow, box: SecretBox, base_url: str) -> ChannelRead:
    return ChannelRead(id=row.id, platform=row.platform, mode=row.mode, name=row.name,
                       settings=dict(row.settings or {}),
                       secrets_set=sorted(box.open(row.sealed_secrets)),
                       webhook_url=f"{base_url.rstrip('/')}/hooks/{row.id}",
                       created_at=row.created_at, updated_at=row.updated_at)


def create(session: Session, owner: Owner, body: ChannelCreate, box: SecretBox, *,
           allow_private: bool = False) -> ChannelRow:
    plain, sealed = _split(body.platform, body.settings)
    mode = body.mode or channel_class(body.platform).modes[0]
    _check(body.platform, mode, {**plain, **sealed}, allow_private=allow_private)
    now = clock.now()
    row = ChannelRow(id="ch_" + random_secrets.token_hex(8), owner_id=owner.id,
                     platform=body.platform, mode=mode, name=body.name, settings=plain,
                     sealed_secrets=box.seal(sealed) if sealed else None,
                     created_at=now, updated_at=now)
    return repository.add(session, row)


def update(session: Session, row: ChannelRow, body: ChannelUpdate, box: SecretBox, *,
           allow_private: bool = False) -> ChannelRow:
    plain = dict(row.settings or {})
    sealed = box.open(row.sealed_secrets)
    if body.settings is not None:
        removals = [k for k, v in body.settings.items() if v is None]
        new_plain, new_sealed = _split(row.platform,
                                       {k: v for k, v in body.settings.items() if v is not None})
        for key in removals:
            if key not in channel_class(row.platform).Settings.model_fields:
                raise Invalid(f"Unknown setting '{key}' for {row.platform}.", field="settings")
            plain.pop(key, None)
            sealed.pop(key, None)
        plain.update(new_plain)
        sealed.update(new_sealed)
    mode = body.mode or row.mode
    _check(row.platform, mode, {**plain, **sealed}, allow_private=allow_private)
    row.mode = mode
    if body.name is not None:
        row.name = body.name
    row.settings = plain
    row.sealed_secrets = box.seal(sealed) if sealed else None
    row.updated_at = clock.now()
    session.flush()
    return row


def visible_channel(session: Session, owner: Owner, channel_id: str) -> ChannelRow:
    row = repository.of_owner(session, owner.id, channel_id)
    if row is None:
        raise NotFound(f"No channel '{channel_id}' for owner '{owner.id}'.")
    return row


def for_owner(session: Session, owner_id: str, *, limit: int, after: str | None) -> list[ChannelRow]:
    return repository.page(session, owner_id, limit=limit, after=after)


_CHANNELS: dict[tuple[str, Any, bool], Channel] = {}


def channel_object(row: ChannelRow, box: SecretBox) -> Channel:
    """The platform module configured for this connection, secrets included (cached per
    version of the row): for ``verify``, ``parse`` and ``send``."""
    return _cached(row, box)


def channel_rules(row: ChannelRow) -> Channel:
    """The platform module configured from the row's plain settings and mode only — no
    secret is opened: enough for the platform's rules (``show_address``, ``context_for``,
    ``may_write_first``, ``answers_with_decision``), which never need a secret. It cannot
    verify or send; ``channel_object`` can."""
    return _cached(row, None)


def _cached(row: ChannelRow, box: SecretBox | None) -> Channel:
    key = (row.id, row.updated_at, box is not None)
    found = _CHANNELS.get(key)
    if found is None:
        if len(_CHANNELS) > 10_000:
            _CHANNELS.clear()
        secrets = box.open(row.sealed_secrets) if box is not None else {}
        found = build_channel(row.platform, {**(row.settings or {}), **secrets, "mode": row.mode},
                              now=_now)
        _CHANNELS[key] = found
    return found


def delete(session: Session, owner: Owner, channel_id: str) -> None:
    repository.remove(session, visible_channel(session, owner, channel_id))
