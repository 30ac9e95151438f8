"""Keyset pagination for every list: ``limit`` and an opaque ``cursor``."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from app.errors import Invalid

T = TypeVar("T")

LimitQuery = Annotated[int, Query(ge=1, le=500, description="Items per page (1–500).")]
CursorQuery = Annotated[
    str | None, Query(max_length=500, description="The `next_cursor` of the previous page.")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid("This cursor is not one we issued.", field="cursor") from exc


def page_of(rows: list[Any], limit: int, *, item: Callable[[Any], T],
            cursor: Callable[[Any], Any]) -> Page[T]:
    """A page from ``limit + 1`` fetched rows: the extra row only says there is more."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=[item(r) for r in rows], next_cursor=encode_cursor(cursor(rows[-1])) if more else None)
