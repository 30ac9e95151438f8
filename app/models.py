"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from app.admin.models import ConsoleSession
from app.connections.models import ChannelRow
from app.contacts.models import Contact
from app.country_calendar.models import Confirmation
from app.db import Base
from app.decisions.models import EventRow, OwnerActivity
from app.guards.models import RateCount, SeenToken
from app.keys.models import ApiKey
from app.outbox.models import Delivery, DeliveryAttempt, RelayPresence
from app.owners.models import Owner
from app.rules.models import RuleRow
from app.templates.models import TemplateRow
from app.windows.models import WindowRow

__all__ = ["ApiKey", "Base", "ChannelRow", "Confirmation", "ConsoleSession", "Contact", "Delivery", "DeliveryAttempt", "EventRow", "Owner", "OwnerActivity",
           "RateCount", "RelayPresence", "RuleRow", "SeenToken", "TemplateRow", "WindowRow"]
