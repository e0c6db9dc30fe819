"""Events and attractions: the catalogue (venues, events, ticket types), timed-entry slots, seat
plans, image uploads and full-text search. Each module owns its transactions."""
from __future__ import annotations


class EventsError(Exception):
    """Bad input or a forbidden change; `message` is shown to the person as it is."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(EventsError):
    pass
