"""The one error rail services raise for bad input: a message for a person, and the form field
it belongs to (None when it is about the whole form)."""
from __future__ import annotations

from services.errors import ServiceError


class RailError(ServiceError):
    pass
