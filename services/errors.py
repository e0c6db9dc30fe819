"""The one base of every error a service raises for a person: a message fit to show as it is, and
the form field it belongs to (None when it is about the whole form or action).

Each area keeps its own subclass (RailError, EventsError, StaffError, CustomerError...) so callers
can catch what they expect; `blueprints.web.show_error` puts any of them on a form.
"""
from __future__ import annotations


class ServiceError(ValueError):
    def __init__(self, message: str = "", field: str | None = None):
        message = str(message)  # lazy translations become text here, in the request's locale
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class Retryable(ServiceError):
    """The database gave up on a transaction because of concurrent work (deadlock, serialization
    failure) and retrying did not get through: nothing changed, and trying again may work."""
