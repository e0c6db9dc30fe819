"""Public train search on a rail tenant's site: /trains?from=&to=&date= and station suggestions."""
from flask import Blueprint

bp = Blueprint("rail", __name__)

from blueprints.rail import views  # noqa: E402,F401
