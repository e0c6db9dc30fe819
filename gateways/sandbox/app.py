"""The simulator as a small Flask app of its own: no database, no CSRF, nothing of Jatra's."""
from __future__ import annotations

import secrets

from flask import Flask

from gateways.sandbox import control, pages, routes_bkash, routes_sslcommerz
from gateways.sandbox.state import Sandbox
from gateways.sandbox.web import EXTENSION

# Scripts and styles from the simulator itself only; forms may post anywhere (back to the merchant).
CONTENT_SECURITY_POLICY = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"


def create_sandbox_app(sandbox: Sandbox | None = None) -> Flask:
    app = Flask(__name__, static_url_path="/_sandbox/static")
    app.config["SECRET_KEY"] = secrets.token_hex(32)  # its own, never the host app's
    app.extensions[EXTENSION] = sandbox or Sandbox()
    for blueprint in (routes_sslcommerz.bp, routes_bkash.bp, pages.bp, control.bp):
        app.register_blueprint(blueprint)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    return app
