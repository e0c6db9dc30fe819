"""Control endpoints for tests and benchmarks that run the simulator in another process."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from gateways.sandbox.web import current_sandbox

bp = Blueprint("control", __name__, url_prefix="/_sandbox")


@bp.post("/behave")
def behave():
    flags = request.get_json(silent=True)
    if not isinstance(flags, dict):
        return jsonify(error="expected a JSON object of flags"), 400
    try:
        behaviour = current_sandbox().behave(**flags)
    except ValueError as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(behaviour=behaviour.as_dict())


@bp.post("/reset")
def reset():
    sandbox = current_sandbox()
    sandbox.reset()
    return jsonify(behaviour=sandbox.behaviour.as_dict())


@bp.post("/send-held")
def send_held():
    return jsonify(sent=current_sandbox().send_held_notifications())
