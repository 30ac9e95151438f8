"""Channel connections: validation of per-platform settings, sealed secrets, and a cache
of ready-to-use channel objects for the webhook hot path."""

from __future__ import annotations

import secrets as random_secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import clock
from app.connections.models import ChannelRow
from app.connections.schemas import ChannelCreate, ChannelRead, ChannelUpdate
from app.crypto import SecretBox
from app.errors import Invalid, NotFound
from app.owners.models import Owner

SECRET_FIELDS = frozenset({
    "bot_token", "signing_secret", "access_token", "app_secret", "verify_token", "auth_token",
    "signing_key", "basic_auth_password", "token", "smtp_password", "secret_token", "public_key",
})

FIELDS: dict[str, frozenset[str]] = {
    "slack": frozenset({"bot_token", "signing_secret", "bot_user_id", "bot_id", "owner_user_id",
                        "api_base_url"}),
    "telegram": frozenset({"bot_token", "secret_token", "allow_groups", "api_base_url"}),
    "whatsapp": frozenset({"access_token", "app_secret", "verify_token", "phone_number_id",
                           "api_base_url", "template_name", "template_language"}),
    "twilio": frozenset({"auth_token", "account_sid", "api_base_url", "from_number"}),
    "email": frozenset({"provider", "signing_key", "public_key", "basic_auth_user",
                        "basic_auth_password", "token", "owner_addresses", "smtp_host",
                        "smtp_port", "smtp_tls", "smtp_user", "smtp_password", "from_address",
                        "from_name"}),
    "generic": frozenset({"signing_secret", "callback_url"}),
    "console": frozenset(),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "slack": ("signing_secret", "bot_token"),
    "telegram": ("secret_token",),
    "whatsapp": ("app_secret", "verify_token"),
    "twilio": ("auth_token",),
    "email": ("provider",),
    "generic": ("signing_secret",),
    "console": (),
}
NATURAL_MODE = {"slack": "send", "telegram": "return", "whatsapp": "send", "twilio": "return",
                "email": "send", "generic": "return", "console": "send"}
RETURN_CAPABLE = {"telegram", "twilio", "generic"}
SEND_REQUIRED = {"telegram": ("bot_token",), "whatsapp": ("access_token", "phone_number_id"),
                 "generic": ("callback_url",), "email": ("smtp_host", "from_address")}


def _split(platform: str, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    allowed = FIELDS[platform]
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise Invalid(f"Unknown setting(s) for {platform}: {', '.join(unknown)}. "
                      f"Known: {', '.join(sorted(allowed)) or 'none'}.", field="settings")
    plain = {k: v for k, v in values.items() if k not in SECRET_FIELDS}
    sealed = {k: v for k, v in values.items() if k in SECRET_FIELDS}
    for key, value in sealed.items():
        if not isinstance(value, str) or not value:
            raise Invalid(f"'{key}' must be a non-empty string.", field=f"settings.{key}")
    return plain, sealed


def _check(platform: str, mode: str, merged: dict[str, Any]) -> None:
    missing = [k for k in REQUIRED[platform] if not merged.get(k)]
    if mode == "send":
        missing += [k for k in SEND_REQUIRED.get(platform, ()) if not merged.get(k)]
    if missing:
        raise Invalid(f"{platform} needs: {', '.join(missing)}.", field=f"settings.{missing[0]}")
    if mode == "return" and platform not in RETURN_CAPABLE:
        raise Invalid(f"{platform} cannot answer in the webhook response; use mode 'send'.",
                      field="mode")
    if platform == "email" and merged.get("provider") not in ("mailgun", "sendgrid", "postmark",
                                                               "mime"):
        raise Invalid("provider must be one of mailgun, sendgrid, postmark, mime.",
                      field="settings.provider")
    try:
        from app.channels.registry import build_channel

        build_channel(platform, {**merged, "mode": mode})
    except (ValueError, TypeError, KeyError) as exc:
        raise Invalid(f"These settings do not work for {platform}: {exc}",
                      field="settings") from exc


def read(row: ChannelRow, box: SecretBox, base_url: str) -> ChannelRead:
    return ChannelRead(id=row.id, platform=row.platform, mode=row.mode, name=row.name,
                       settings=dict(row.settings or {}),
                       secrets_set=sorted(box.open(row.sealed_secrets)),
                       webhook_url=f"{base_url.rstrip('/')}/hooks/{row.id}",
                       created_at=row.created_at, updated_at=row.updated_at)


def create(session: Session, owner: Owner, body: ChannelCreate, box: SecretBox) -> ChannelRow:
    plain, sealed = _split(body.platform, body.settings)
    mode = body.mode or NATURAL_MODE[body.platform]
    _check(body.platform, mode, {**plain, **sealed})
    now = clock.now()
    row = ChannelRow(id="ch_" + random_secrets.token_hex(8), owner_id=owner.id,
                     platform=body.platform, mode=mode, name=body.name, settings=plain,
                     sealed_secrets=box.seal(sealed) if sealed else None,
                     created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    return row


def update(session: Session, row: ChannelRow, body: ChannelUpdate, box: SecretBox) -> ChannelRow:
    plain = dict(row.settings or {})
    sealed = box.open(row.sealed_secrets)
    if body.settings is not None:
        removals = [k for k, v in body.settings.items() if v is None]
        new_plain, new_sealed = _split(row.platform,
                                       {k: v for k, v in body.settings.items() if v is not None})
        for key in removals:
            if key not in FIELDS[row.platform]:
                raise Invalid(f"Unknown setting '{key}' for {row.platform}.", field="settings")
            plain.pop(key, None)
            sealed.pop(key, None)
        plain.update(new_plain)
        sealed.update(new_sealed)
    mode = body.mode or row.mode
    _check(row.platform, mode, {**plain, **sealed})
    row.mode = mode
    if body.name is not None:
        row.name = body.name
    row.settings = plain
    row.sealed_secrets = box.seal(sealed) if sealed else None
    row.updated_at = clock.now()
    session.flush()
    return row


def visible_channel(session: Session, owner: Owner, channel_id: str) -> ChannelRow:
    row = session.get(ChannelRow, channel_id)
    if row is None or row.owner_id != owner.id:
        raise NotFound(f"No channel '{channel_id}' for owner '{owner.id}'.")
    return row


def for_owner(session: Session, owner_id: str, *, limit: int, after: str | None) -> list[ChannelRow]:
    stmt = select(ChannelRow).where(ChannelRow.owner_id == owner_id).order_by(ChannelRow.id)
    if after is not None:
        stmt = stmt.where(ChannelRow.id > after)
    return list(session.scalars(stmt.limit(limit + 1)))


_CHANNELS: dict[tuple[str, Any], Any] = {}


def channel_object(row: ChannelRow, box: SecretBox) -> Any:
    """The platform module configured for this connection (cached per version of the row)."""
    from app.channels.registry import build_channel

    key = (row.id, row.updated_at)
    found = _CHANNELS.get(key)
    if found is None:
        if len(_CHANNELS) > 10_000:
            _CHANNELS.clear()
        found = build_channel(row.platform, {**(row.settings or {}),
                                             **box.open(row.sealed_secrets), "mode": row.mode})
        _CHANNELS[key] = found
    return found


def context_for_address(channel: ChannelRow, address: str, *,
                        subject: str | None = None) -> dict[str, Any]:
    """What a platform module needs to write to an address we were not replying to."""
    platform = channel.platform
    if platform == "slack":
        return {"channel": address}
    if platform == "telegram":
        return {"chat_id": int(address) if address.lstrip("-").isdigit() else address}
    if platform == "whatsapp":
        return {"to": address, "phone_number_id": (channel.settings or {}).get("phone_number_id")}
    if platform == "email":
        return {"to": address, "subject": subject or "", "unsolicited": True}
    return {"to": address}
