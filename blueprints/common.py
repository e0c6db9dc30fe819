"""Routes every site has, platform and tenants alike: health, language switch, static files."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, jsonify, redirect, request

from blueprints import site
from blueprints.i18n import LANG_COOKIE
from services import health


def healthz():
    report = health.check_request_site()
    return jsonify(report), 200 if report["status"] == "ok" else 503


def _safe_next(target: str | None) -> str:
    """Only a path on this same site: never an open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def set_language():
    lang = request.form.get("lang", "")
    response = redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))
    if lang in current_app.config["LANGUAGES"]:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True)
    return response


def route_everywhere(app: Flask, rule: str, endpoint: str, view, **options) -> None:
    """The same endpoint on the platform host and on every tenant host."""
    app.add_url_rule(rule, endpoint, view, **options)
    app.add_url_rule(rule, endpoint, view, subdomain=site.TENANT, **options)


def register(app: Flask) -> None:
    route_everywhere(app, "/healthz", "healthz", healthz)
    route_everywhere(app, "/language", "set_language", set_language, methods=["POST"])
    # Flask registers /static for the default (platform) site only; tenant hosts need it too.
    app.add_url_rule(f"{app.static_url_path}/<path:filename>", "static",
                     app.view_functions["static"], subdomain=site.TENANT)
