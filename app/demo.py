"""The demo owner, so that the first run shows something."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.keys.models import ApiKey
from app.keys.service import KEY_PREFIX, create_key, digest
from app.owners import repository, service
from app.owners.schemas import OwnerCreate

DEMO = OwnerCreate(
    id="demo",
    name="استوديو نخلة للتصميم — Nakhla Design Studio",
    timezone="Asia/Riyadh",
    country="SA",
    languages=["ar", "en"],
    tone="friendly",
    working_hours={day: ["09:00-13:00", "16:00-20:00"]
                   for day in ("sun", "mon", "tue", "wed", "thu")},
    response_time="PT4H",
    urgent_contact="Omar (عمر) — +966 50 000 0000",
)


def seed(session: Session, *, admin_key: str | None = None) -> tuple[bool, str]:
    """Create the demo owner if missing; return (created, an admin key)."""
    created = repository.get(session, DEMO.id) is None
    if created:
        service.create(session, DEMO)
    if admin_key and admin_key.startswith(KEY_PREFIX):
        if session.scalars(select(ApiKey).where(ApiKey.digest == digest(admin_key))).first() is None:
            from app import clock

            session.add(ApiKey(id="demo-admin", digest=digest(admin_key), prefix=admin_key[:8],
                               name="demo admin", admin=True, owner_id=None,
                               created_at=clock.now()))
        return created, admin_key
    return created, create_key(session, admin=True, owner_id=None, name="demo admin").key
