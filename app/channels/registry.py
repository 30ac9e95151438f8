"""Platform name → channel module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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


def build_channel(platform: str, settings: Mapping[str, Any], **kwargs: Any) -> Any:
    """A configured channel; ValueError for an unknown platform or unusable settings."""
    try:
        cls = CHANNELS[platform]
    except KeyError as exc:
        raise ValueError(f"unknown platform '{platform}'") from exc
    return cls(settings, **kwargs)
