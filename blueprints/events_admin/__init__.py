"""Staff pages for events and attractions: venues, events, ticket types, slots, seat plans."""
from flask import Blueprint

bp = Blueprint("events_admin", __name__, url_prefix="/staff/events")

from blueprints.events_admin import views  # noqa: E402,F401
from blueprints.events_admin import occupancy  # noqa: E402,F401
