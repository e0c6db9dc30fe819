"""Staff pages for bookings: find any booking (reference, PNR, phone, email), see everything about
it (payments and the gateways' raw messages, refunds, attempts, audit trail), cancel or refund on
the customer's behalf; and every purchase attempt. Under /staff/bookings, for rail and events alike."""
from flask import Blueprint

bp = Blueprint("bookings_admin", __name__, url_prefix="/staff/bookings")

from blueprints.bookings_admin import views  # noqa: E402,F401
