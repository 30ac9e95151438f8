"""Platform name → channel class, and ``build_channel`` to configure one.

``build_channel(platform, settings, *, now, bot_identity=None)``: ``settings`` are the
connection's plain settings merged with its decrypted secrets and its ``mode``; ``now`` is
the clock the channel's replay windows compare against; ``bot_identity`` overrides identity
keys learned from the platform (e.g. Slack's ``bot_user_id``/``bot_id`` from
``auth.test``). Raises ValueError for an unknown platform or settings the channel cannot
work with.

Each platform's settings are its channel's ``Settings`` model (secrets marked there):
``SlackSettings``, ``TelegramSettings``, ``WhatsAppSettings``, ``TwilioSettings``,
``EmailSettings``, ``GenericSettings``; the console channel has none.
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

CHANNELS: dict[str, type[Channel]] = {cls.platform: cls for cls in (
    SlackChannel, TelegramChannel, WhatsAppChannel, TwilioChannel, EmailChannel, GenericChannel,
    ConsoleChannel)}


def channel_class(platform: str) -> type[Channel]:
    """The channel class of a platform (its ``Settings``, ``modes``); ValueError if unknown."""
    try:
        return CHANNELS[platform]
    except KeyError as exc:
        raise ValueError(f"unknown platform '{platform}'") from exc


def build_channel(platform: str, settings: Mapping[str, Any], *, now: Callable[[], datetime],
                  bot_identity: Mapping[str, Any] | None = None) -> Channel:
    """A configured channel (see the module doc); ValueError for unusable settings."""
    return channel_class(platform)({**settings, **(bot_identity or {})}, now=now)
