"""The booking page (`/bookings/<token>`): reachable from the confirmation link without logging in
(the token is the key), for guests too. It says plainly where the booking stands and, while a
payment is being confirmed, updates itself (htmx polls its status block, and the server asks the
gateway when the answer is slow to come). Cancelling, where the policy allows, is a page of its own."""
from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _

from blueprints.account.guard import current_customer
from blueprints.booking.owner import current_owner
from blueprints.checkout import bp
from blueprints.web import client_actor, redirect_to, render
from models.base import utcnow
from services.checkout import CheckoutError, callbacks, cancel as cancellation, lookup

TEMPLATE = "checkout/booking.html"


def _booking_or_404(token: str):
    booking = lookup.by_token(token)
    if booking is None:
        abort(404)
    return booking


def _may_cancel(booking) -> bool:
    """The customer who booked (logged in), or for a guest's booking whoever holds its link."""
    customer = current_customer()
    if booking.customer_id is not None:
        return customer is not None and customer.account.id == booking.customer_id
    return True


@bp.get("/bookings/<token>")
def booking(token):
    booking = _booking_or_404(token)
    now = utcnow()
    if callbacks.check_if_slow(lookup.latest_payment(booking), now=now):
        booking = _booking_or_404(token)
    view = lookup.view_of(booking, now)
    owner = current_owner()
    return render(TEMPLATE, block="status", view=view, now=now, may_cancel=_may_cancel(booking),
                  quote=cancellation.quote(booking, now=now) if view.state in cancellation.CANCELLABLE else None,
                  can_retry=owner is not None and view.hold is not None)


@bp.route("/bookings/<token>/cancel", methods=["GET", "POST"])
def cancel(token):
    booking = _booking_or_404(token)
    if not _may_cancel(booking):
        abort(403)
    now = utcnow()
    chosen = [int(i) for i in request.form.getlist("item") if i.isdigit()] if request.method == "POST" else None
    message = None
    if request.method == "POST":
        if not chosen:
            message = _("Choose what to cancel.")
        else:
            try:
                customer = current_customer()
                cancellation.cancel(booking.id, chosen, actor=client_actor("customer", customer.account if customer
                                                                          else None))
            except CheckoutError as exc:
                message = exc.message
            else:
                flash(_("Cancelled. Any refund goes back the way you paid."), "success")
                return redirect_to(url_for("checkout.booking", token=booking.token))
        booking = _booking_or_404(token)
    return render("checkout/cancel.html", status=422 if message else 200, booking=booking, message=message,
                  quote=cancellation.quote(booking, now=now), chosen=set(chosen or []))
