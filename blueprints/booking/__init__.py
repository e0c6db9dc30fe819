"""Choosing and holding: a trip's seat map, an event's tickets and seat plan, the customer's holds."""
from flask import Blueprint

bp = Blueprint("booking", __name__)

from blueprints.booking import rail_views, event_views, hold_views  # noqa: E402,F401
