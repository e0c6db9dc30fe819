"""Events and attractions: the catalogue (venues, events, ticket types), timed-entry slots, seat
plans, image uploads and full-text search. Each module owns its transactions."""
from __future__ import annotations

from services.errors import ServiceError


class EventsError(ServiceError):
    """Bad input or a forbidden change; `message` is shown to the person as it is."""


class NotFound(EventsError):
    pass
