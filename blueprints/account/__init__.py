"""Customer accounts on a tenant's site: register, verify, log in, reset, profile, passengers."""
from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from blueprints.account import views  # noqa: E402,F401
