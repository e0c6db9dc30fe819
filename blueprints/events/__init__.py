"""What customers see of events and attractions: browse and search, event pages, images."""
from flask import Blueprint

bp = Blueprint("events", __name__)

from blueprints.events import views  # noqa: E402,F401
