"""Security headers on every response, platform and tenant sites alike, from this one place.

The Content-Security-Policy allows scripts, styles, images and connections from the site itself
only: no inline or injected script, no plugins, no framing (so staff pages cannot be overlaid by a
clickjacking page), forms post only to the site. Inline `style="--x: ..."` attributes are allowed
(tenant brand colours, seat colours, grid sizes), `<style>` elements are not. HSTS is sent in
production only: development and the tests speak plain HTTP on localhost.
"""
from __future__ import annotations

from flask import Flask

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-elem 'self'",
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(production: bool) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    if production:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def init_app(app: Flask) -> None:
    headers = security_headers(app.config["JATRA_ENV"] == "production")

    @app.after_request
    def add_security_headers(response):
        for name, value in headers.items():
            response.headers.setdefault(name, value)  # a view that needs another value sets its own
        return response
