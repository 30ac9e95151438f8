from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    admin: bool = Field(False, description="An admin key may do everything.")
    owner_id: str | None = Field(None, max_length=64, description="Bind the key to one owner.")
    name: str | None = Field(None, max_length=200)


class KeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    prefix: str = Field(description="The first characters of the key, to recognise it.")
    name: str | None
    admin: bool
    owner_id: str | None
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyRead):
    key: str = Field(description="The key itself. Shown once: store it now.")
