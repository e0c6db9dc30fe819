"""The pages a person sees: the customer's payment page of either gateway and the index of recent payments."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template, request

from gateways.sandbox.records import BkashPayment, SslcommerzSession
from gateways.sandbox.state import OUTCOMES
from gateways.sandbox.web import back_to_merchant, current_sandbox

bp = Blueprint("pages", __name__)
GATEWAY_NAMES = {"sslcommerz": "SSLCommerz", "bkash": "bKash"}
RECENT = 100  # payments on the index page


@bp.get("/")
def index():
    sandbox = current_sandbox()
    return render_template("sandbox/index.html", payments=sandbox.transactions[:RECENT],
                           notifications=sandbox.notifications[-RECENT:][::-1], behaviour=sandbox.behaviour,
                           gateway_names=GATEWAY_NAMES)


@bp.get("/<any(sslcommerz, bkash):gateway>/pay/<ref>")
def pay_page(gateway, ref):
    payment = _payment(gateway, ref)
    return render_template("sandbox/pay.html", gateway=gateway, gateway_name=GATEWAY_NAMES[gateway],
                           payment=payment, merchant=_merchant(payment), product=_product(payment),
                           outcomes=OUTCOMES)


@bp.post("/<any(sslcommerz, bkash):gateway>/pay/<ref>")
def choose(gateway, ref):
    _payment(gateway, ref)
    outcome = request.form.get("outcome", "")
    if outcome not in OUTCOMES:
        abort(400)
    return back_to_merchant(*current_sandbox().customer_chooses(gateway, ref, outcome))


def _payment(gateway: str, ref: str) -> SslcommerzSession | BkashPayment:
    payment = current_sandbox().transaction(ref)
    if payment is None or payment.gateway != gateway or payment.ref != ref:
        abort(404)
    return payment


def _merchant(payment: SslcommerzSession | BkashPayment) -> str:
    """Who is asking: the SSLCommerz store, or the site bKash will send the customer back to."""
    if isinstance(payment, SslcommerzSession):
        return payment.store_id
    return urlsplit(payment.callback_url).netloc


def _product(payment: SslcommerzSession | BkashPayment) -> str:
    if isinstance(payment, SslcommerzSession):
        return payment.init_fields.get("product_name", "")
    return f"Invoice {payment.tran_id}"
