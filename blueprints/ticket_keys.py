"""The tenant's public ticket keys for gate devices, as a JWK set (no private part, ever)."""
from flask import Blueprint, jsonify

from services.tickets import keys

bp = Blueprint("ticket_keys", __name__)


@bp.get("/.well-known/jatra-keys.json")
def jwks():
    response = jsonify(keys.jwks())
    response.cache_control.public = True
    response.cache_control.max_age = 300  # a rotation reaches gates within minutes
    return response
