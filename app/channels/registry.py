"""Platform name → channel class, and ``build_channel`` to configure one.

``build_channel(platform, settings, *, now=None, bot_identity=None)``: ``settings`` are
the connection's plain settings merged with its decrypted secrets (and ``mode``);
``now`` is the clock the channel uses for its replay windows (default: the real one);
``bot_identity`` overrides identity keys learned from the platform (e.g. Slack's
``bot_user_id``/``bot_id`` from ``auth.test``). Raises ValueError for an unknown platform
or settings the channel cannot work with.

Settings per platform (secrets marked *):

| platform | keys |
| --- | --- |
| slack | signing_secret*, bot_token*, bot_user_id, bot_id, owner_user_id, api_base_url (https://slack.com/api) |
| telegram | secret_token*, bot_token*, allow_groups (false), api_base_url (https://api.telegram.org) |
| whatsapp | app_secret*, verify_token*, access_token*, phone_number_id, api_base_url (https://graph.facebook.com/v25.0), template_name, template_language (ar) |
| twilio | auth_token*, account_sid, from_number, api_base_url (https://api.twilio.com) |
| email | provider (mailgun, sendgrid, postmark, mime), signing_key*, public_key*, basic_auth_user, basic_auth_password*, token*, owner_addresses, smtp_host, smtp_port, smtp_tls (none, starttls, tls), smtp_user, smtp_password*, from_address, from_name |
| generic | signing_secret*, callback_url, mode (return, send) |
| console | none |
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from app.channels.base import Channel
from app.channels.console import ConsoleChannel
from app.channels.email import EmailChannel
from app.channels.generic import GenericChannel
from app.channels.slack import SlackChannel
from app.channels.telegram import TelegramChannel
from app.channels.twilio import TwilioChannel
from app.channels.whatsapp import WhatsAppChannel

CHANNELS: dict[str, type] = {
    "slack": SlackChannel,
    "telegram": TelegramChannel,
    "whatsapp": WhatsAppChannel,
    "twilio": TwilioChannel,
    "email": EmailChannel,
    "generic": GenericChannel,
    "console": ConsoleChannel,
}


def build_channel(platform: str, settings: Mapping[str, Any], *,
                  now: Callable[[], datetime] | None = None,
                  bot_identity: Mapping[str, Any] | None = None) -> Channel:
    """A configured channel (see the module doc); ValueError for unusable settings."""
    try:
        cls = CHANNELS[platform]
    except KeyError as exc:
        raise ValueError(f"unknown platform '{platform}'") from exc
    merged = {**settings, **(bot_identity or {})}
    if now is None:
        return cls(merged)
    return cls(merged, now=now)
