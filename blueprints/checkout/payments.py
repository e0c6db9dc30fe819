"""The gateways' callbacks, on each tenant's host: `/payments/<gateway>/return` (the customer's
browser, sent back by the gateway's page) and `/payments/<gateway>/ipn` (the gateway's server).

Both are exempt from CSRF, and nothing else is: the gateway posts them from its own site, and a
cross-site post carries no session cookie (SameSite=Lax), so neither acts on anyone's behalf. What
they say is only a hint: services.checkout.callbacks asks the gateway's own API before anything is
marked paid. A forged or tampered callback gets 400 and changes nothing."""
from __future__ import annotations

from flask import abort, jsonify, redirect, request, url_for

from blueprints.checkout import bp
from blueprints.web import client_actor, render
from extensions import csrf
from services.checkout import callbacks, gateways
from services.checkout.gateways import GatewayMisconfigured


def _params() -> dict:
    if request.form:
        return request.form.to_dict(flat=True)
    if request.is_json:
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else {}
    return request.args.to_dict(flat=True)


def _handle(gateway: str, source: str):
    from gateways.base import ForgedCallback

    if gateway not in gateways.ORDER:
        abort(404)
    try:
        return callbacks.handle(gateway, _params(), source=source, actor=client_actor())
    except GatewayMisconfigured:
        abort(404)
    except ForgedCallback:
        return None


@bp.route("/payments/<gateway>/return", methods=["GET", "POST"])
@csrf.exempt
def gateway_return(gateway):
    result = _handle(gateway, "return")
    if result is None:
        return render("checkout/refused.html", status=400)
    return redirect(url_for("checkout.booking", token=result.booking_token), 303)


@bp.post("/payments/<gateway>/ipn")
@csrf.exempt
def gateway_ipn(gateway):
    result = _handle(gateway, "ipn")
    if result is None:
        return jsonify(status="refused"), 400
    return jsonify(status=result.state)
