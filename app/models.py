"""Every table, imported in one place so Alembic and the tests see the whole schema."""

from app.calendar.models import Confirmation
from app.contacts.models import Contact
from app.db import Base
from app.decisions.models import EventRow
from app.keys.models import ApiKey
from app.owners.models import Owner
from app.rules.models import RuleRow
from app.windows.models import WindowRow

__all__ = ["ApiKey", "Base", "Confirmation", "Contact", "EventRow", "Owner", "RuleRow",
           "WindowRow"]
