"""SSLCommerz's API endpoints, at the spec's paths under /sslcommerz."""
from __future__ import annotations

from flask import Blueprint, jsonify, request, url_for

from gateways.sandbox.web import api_endpoint, current_sandbox

bp = Blueprint("sslcommerz", __name__, url_prefix="/sslcommerz")


@bp.post("/gwprocess/v4/api.php")
@api_endpoint
def session_init():
    answer = current_sandbox().sslcommerz.init_session(
        request.form.to_dict(),
        page_url=lambda sessionkey: url_for("pages.pay_page", gateway="sslcommerz", ref=sessionkey, _external=True))
    return jsonify(answer)


@bp.get("/validator/api/validationserverAPI.php")
@api_endpoint
def validation():
    return jsonify(current_sandbox().sslcommerz.validate(request.args.to_dict()))


@bp.get("/validator/api/merchantTransIDvalidationAPI.php")
@api_endpoint
def transaction_query_and_refunds():
    return jsonify(current_sandbox().sslcommerz.merchant_trans_api(request.args.to_dict()))
