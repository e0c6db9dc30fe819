"""The one error rail services raise for bad input: a message for a person, and the form field
it belongs to (None when it is about the whole form)."""
from __future__ import annotations


class RailError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
