"""Staff pages for the railway: stations, trains with their routes and coaches, classes and
layouts, fares, and trips (generation, delays, cancellations). Under /staff/rail."""
from flask import Blueprint

bp = Blueprint("rail_admin", __name__, url_prefix="/staff/rail")

from blueprints.rail_admin import views  # noqa: E402,F401
from blueprints.rail_admin import occupancy  # noqa: E402,F401
