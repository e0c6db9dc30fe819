"""Holding event tickets: quantities per ticket type (and entry slot), or seats of the plan."""
from __future__ import annotations

from flask import url_for


def render_event(event_id: int, *, message: str | None = None, level: str = "info", status: int = 200):
    from blueprints.events.views import event_page

    return event_page(event_id, message=message, level=level, status=status)


def event_url(event_id: int, **args) -> str:
    return url_for("events.event", event_id=event_id, **args)
