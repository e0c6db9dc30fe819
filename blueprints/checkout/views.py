"""The checkout page of a hold (`/checkout/<hold token>`): who travels or who to contact, the price
breakdown, the hold's countdown and the payment method; posting it sends the browser to the gateway."""
from __future__ import annotations

from types import SimpleNamespace

from flask import current_app, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from blueprints.account.guard import current_customer
from blueprints.booking.owner import owned_hold_or_404
from blueprints.checkout import bp
from blueprints.checkout.forms import CheckoutForm
from blueprints.limits import checkout_limit
from blueprints.site import sales_required
from blueprints.web import render
from models.base import utcnow
from services import passengers
from services.checkout import CheckoutError, PaymentServiceDown, gateways, lookup, pricing
from services.checkout.start import CallbackUrls, CheckoutDetails, Client, start_payment
from services.inventory import HoldNotFound

TEMPLATE = "checkout/checkout.html"


GATEWAY_LABELS = {"sslcommerz": _l("SSLCommerz (cards, mobile banking)"), "bkash": _l("bKash")}


def gateway_choices() -> list[tuple[str, str]]:
    return [(name, GATEWAY_LABELS[name]) for name in gateways.enabled()]


def callback_urls(gateway: str) -> CallbackUrls:
    return CallbackUrls(url_for("checkout.gateway_return", gateway=gateway, _external=True),
                        url_for("checkout.gateway_ipn", gateway=gateway, _external=True))


def _saved(customer) -> dict:
    """The customer's saved passengers by id, with their age today."""
    if customer is None:
        return {}
    today = utcnow().date()
    return {str(p.id): SimpleNamespace(id=p.id, name=p.name, gender=p.gender or "",
                                       age=passengers.age_on(p.date_of_birth, today))
            for p in passengers.list_for(customer.account.id)}


def _back_url(hold) -> str:
    if hold.trip_id is not None:
        return url_for("booking.trip_seats", trip_id=hold.trip_id, board=hold.board_seq, alight=hold.alight_seq)
    return url_for("events.event", event_id=hold.event_id)


@bp.route("/checkout/<token>", methods=["GET", "POST"])
@sales_required
@checkout_limit
def checkout(token):
    hold, owner = owned_hold_or_404(token)
    if g.tenant.kind == "rail" and current_customer() is None:
        return redirect(url_for("account.login", next=request.path))
    now = utcnow()
    if hold.status != "active" or hold.expires_at <= now:
        return render(TEMPLATE, status=410, hold=hold, quote=None, form=None, back_url=_back_url(hold))
    customer = current_customer()
    saved = _saved(customer)
    quote = pricing.price_hold(hold, now)
    form = CheckoutForm.for_quote(quote, gateway_choices(), saved=saved.values(), **_defaults(customer, hold))
    status, message = 200, None
    if request.method == "POST":
        status = 422
        people = form.passengers(saved) if form.validate_on_submit() else None
        if form.is_submitted() and not form.errors and people is not None:
            details = CheckoutDetails(contact_name=form.contact_name.data.strip(),
                                      contact_phone=form.contact_phone.data,
                                      contact_email=(form.contact_email.data or "").strip() or None,
                                      language=str(get_locale() or "en"), passengers=people)
            try:
                started = start_payment(hold.token, owner, details, form.gateway.data, callback_urls(form.gateway.data),
                                        Client(request.remote_addr, request.user_agent.string))
            except HoldNotFound:
                return render(TEMPLATE, status=410, hold=hold, quote=None, form=None, back_url=_back_url(hold))
            except CheckoutError as exc:
                message, status = exc.message, 502 if isinstance(exc, PaymentServiceDown) else 422
            else:
                if started.redirect_url is None:  # nothing to pay
                    return redirect(url_for("checkout.booking", token=started.booking.token), 303)
                # Not a redirect: the page's policy (form-action 'self') forbids a form post that
                # ends on another site. A page that moves on by itself, with a link, is allowed.
                return render("checkout/to_gateway.html", url=started.redirect_url, gateway=form.gateway.data)
    return render(TEMPLATE, status=status, hold=hold, quote=quote, form=form, message=message, now=now,
                  back_url=_back_url(hold), simulator=_uses_simulator(), saved=saved)


def _defaults(customer, hold) -> dict:
    """What the form starts with: what was given at an earlier try (a retry), else the account's."""
    if request.method == "POST":
        return {}
    earlier = lookup.of_hold(hold.id)
    if earlier is not None:
        last = lookup.latest_payment(earlier)
        values = {"contact_name": earlier.contact_name, "contact_phone": earlier.contact_phone,
                  "contact_email": earlier.contact_email, "gateway": last.gateway if last else None}
        for item in earlier.items:
            if item.seat_id:
                values.update({f"name-{item.seat_id}": item.passenger_name, f"age-{item.seat_id}": item.passenger_age,
                               f"gender-{item.seat_id}": item.passenger_gender})
        return values
    if customer is None:
        return {}
    account = customer.account
    return {"contact_name": account.name, "contact_phone": account.phone, "contact_email": account.email}


def _uses_simulator() -> bool:
    settings = g.tenant.payment_gateways
    return current_app.config["JATRA_ENV"] != "production" and any(
        (settings.get(name) or {}).get("mode") == "simulator" for name in gateways.enabled())
