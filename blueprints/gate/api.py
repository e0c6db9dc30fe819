"""The console's JSON API: scan, sync offline scans, and the data kept for offline work. Each call
carries the gate's token (X-Gate-Token) instead of the login session: no session lookup, no CSRF
token (a header no other site can make a browser send). Kept small: a scan is one verification
and one short transaction."""
from __future__ import annotations

from datetime import datetime, timezone
from functools import wraps

from flask import current_app, g, jsonify, request

from blueprints.gate import bp
from blueprints.gate.messages import as_json
from extensions import csrf
from services.gate import checkin, offline, tokens
from services.gate.checkin import GateClosed, OfflineScan

DEVICE_MAX = 36


def _error(message: str, status: int):
    return jsonify(error=message), status


def gate_api(view):
    """Reads the token into `gate_id`; 401 when it is bad or the gate is closed."""
    @wraps(view)
    def wrapper():
        try:
            gate_id = tokens.read(current_app.secret_key, request.headers.get("X-Gate-Token"), g.tenant.slug)
            return view(gate_id)
        except (tokens.BadToken, GateClosed):
            return _error("This gate is closed or its token expired: open the gate again.", 401)

    wrapper.without_login = True  # blueprints/auth.py: no login-session lookup
    return csrf.exempt(wrapper)


def _body() -> dict | None:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else None


def _text(value, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


@bp.post("/api/scan")
@gate_api
def api_scan(gate_id):
    body = _body()
    code, device = (_text(body.get("code"), 4000), _text(body.get("device"), DEVICE_MAX)) if body else (None, None)
    if not code or not device:
        return _error("Send JSON with code and device.", 400)
    outcome = checkin.scan(gate_id, code, device=device, direction=body.get("direction") or "entry")
    response = jsonify(as_json(outcome))
    response.headers["X-Gate-Lane"] = "full"  # blueprints/gate/express.py answers the common scans first
    return response


def _offline_scan(item) -> OfflineScan | None:
    if not isinstance(item, dict):
        return None
    client_id, code = _text(item.get("id"), DEVICE_MAX), _text(item.get("code"), 4000)
    result, at = item.get("result"), item.get("scanned_at")
    if not client_id or not code or result not in ("admitted", "rejected", "exited") \
            or not isinstance(at, (int, float)) or not 0 < at < 10**14:
        return None
    reason = _text(item.get("reason"), 20)
    return OfflineScan(client_id, code, item.get("direction") if item.get("direction") == "exit" else "entry",
                       datetime.fromtimestamp(at / 1000, timezone.utc), result, reason)


@bp.post("/api/sync")
@gate_api
def api_sync(gate_id):
    body = _body()
    device = _text(body.get("device"), DEVICE_MAX) if body else None
    items = body.get("scans") if body else None
    if not device or not isinstance(items, list) or len(items) > checkin.SYNC_MAX:
        return _error(f"Send JSON with device and at most {checkin.SYNC_MAX} scans.", 400)
    scans = [_offline_scan(item) for item in items]
    if None in scans:
        return _error("Each scan needs id, code, result and scanned_at (ms).", 400)
    return jsonify(synced=[as_json(outcome) for outcome in checkin.sync(gate_id, device, scans)])


@bp.get("/api/offline")
@gate_api
def api_offline(gate_id):
    response = jsonify(offline.data(checkin.open_scope(gate_id)))
    response.cache_control.no_store = True
    return response
