"""Paying: the checkout page of a hold, the gateways' callbacks, and the booking page."""
from flask import Blueprint

bp = Blueprint("checkout", __name__)

from blueprints.checkout import views, payments, bookings, tickets  # noqa: E402,F401
