"""Staff area of a tenant: login, dashboard, and the guard every staff view uses."""
from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from blueprints.staff import views  # noqa: E402,F401
from blueprints.staff import people  # noqa: E402,F401
