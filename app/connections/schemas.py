from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from app.channels.registry import CHANNELS

# Every platform with a channel module, spelled out for the type checker.
Platform = Literal["slack", "telegram", "whatsapp", "twilio", "email", "generic", "console"]
assert get_args(Platform) == tuple(CHANNELS), "Platform must list app.channels.registry.CHANNELS"

SETTINGS_DOC = (
    "Per-platform settings. Secrets (tokens, signing secrets, passwords) are write-only: "
    "accepted here, encrypted at rest, never returned. See the README for each platform's keys."
)


class ChannelCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: Platform
    mode: Literal["return", "send"] | None = Field(
        default=None, description="return: the reply goes back in the webhook response; send: through "
                          "the platform's API. Default: the platform's natural mode.")
    name: str | None = Field(default=None, max_length=200)
    settings: dict[str, Any] = Field(default_factory=dict, description=SETTINGS_DOC)


class ChannelUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["return", "send"] | None = None
    name: str | None = Field(default=None, max_length=200)
    settings: dict[str, Any] | None = Field(
        default=None, description="Merged into the current settings; a null value removes a key.")


class ChannelRead(BaseModel):
    id: str
    platform: str
    mode: str
    name: str | None
    settings: dict[str, Any] = Field(description="Non-secret settings only.")
    secrets_set: list[str] = Field(description="Names of the secrets that are set (never values).")
    webhook_url: str
    created_at: datetime
    updated_at: datetime
