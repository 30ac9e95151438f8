from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ContactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str = Field("api", min_length=1, max_length=64,
                         description="'api', a platform name, or a channel id.")
    address: str = Field(min_length=1, max_length=320,
                         description="How the client is reached there (email, phone, chat id).")
    name: str | None = Field(None, max_length=200)
    language: Literal["ar", "en"] | None = None
    tone: Literal["formal", "friendly"] | None = None
    vip: bool = False
    opted_out: bool = False
    linked_to: str | None = Field(None, max_length=32,
                                  description="Another contact id: the same person on another "
                                              "channel (they share one throttle).")


class ContactUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, max_length=200)
    language: Literal["ar", "en"] | None = None
    tone: Literal["formal", "friendly"] | None = None
    vip: bool | None = None
    opted_out: bool | None = None
    linked_to: str | None = Field(None, max_length=32)


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    channel: str
    address: str
    name: str | None
    language: str | None
    tone: str | None
    vip: bool
    opted_out: bool
    client_key: str = Field(description="Contacts with the same client_key are one person.")
    last_seen_at: datetime | None
    created_at: datetime
