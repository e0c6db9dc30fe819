"""bKash's tokenized checkout API endpoints, at the spec's paths under /bkash."""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, jsonify, request, url_for

from gateways.sandbox.bkash import INVALID_TOKEN
from gateways.sandbox.web import api_endpoint, current_sandbox

bp = Blueprint("bkash", __name__, url_prefix="/bkash/tokenized/checkout")


def _body() -> dict:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def token_required(view):
    """Calls after the grant carry Authorization: <id_token> and X-APP-Key; the view gets the app_key."""

    @wraps(view)
    def guarded():
        app_key = current_sandbox().bkash.app_of_token(request.headers.get("Authorization", ""),
                                                       request.headers.get("X-APP-Key", ""))
        if app_key is None:
            return jsonify(INVALID_TOKEN), 401
        return view(app_key)

    return guarded


@bp.post("/token/grant")
@api_endpoint
def grant():
    answer, status = current_sandbox().bkash.grant(request.headers, _body())
    return jsonify(answer), status


@bp.post("/token/refresh")
@api_endpoint
def refresh():
    answer, status = current_sandbox().bkash.refresh(request.headers, _body())
    return jsonify(answer), status


@bp.post("/create")
@api_endpoint
@token_required
def create(app_key):
    return jsonify(current_sandbox().bkash.create(
        app_key, _body(), page_url=lambda payment_id: url_for("pages.pay_page", gateway="bkash", ref=payment_id,
                                                              _external=True)))


@bp.post("/execute")
@api_endpoint
@token_required
def execute(app_key):
    return jsonify(current_sandbox().bkash.execute(app_key, _body()))


@bp.post("/payment/status")
@api_endpoint
@token_required
def payment_status(app_key):
    return jsonify(current_sandbox().bkash.status(app_key, _body()))


@bp.post("/payment/refund")
@api_endpoint
@token_required
def refund(app_key):
    return jsonify(current_sandbox().bkash.refund(app_key, _body()))
