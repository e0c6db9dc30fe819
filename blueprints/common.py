"""Routes every site has, platform and tenants alike: health, language switch, static files."""
from __future__ import annotations

from flask import Flask, current_app, jsonify, redirect, request

from blueprints import site
from blueprints.i18n import LANG_COOKIE
from blueprints.redirects import referrer_path, safe_next
from services import health


def healthz():
    """Liveness: 200 while this process serves; the body names the parts that are degraded."""
    return jsonify(health.check_request_site()), 200


def readyz():
    """Readiness: 503 only when this site's database is unreachable, so a load balancer keeps
    sending traffic to nodes that lost only Redis (every page still works without it)."""
    report = health.check_request_site()
    return jsonify(report), 200 if report["ready"] else 503


def set_language():
    lang = request.form.get("lang", "")
    response = redirect(safe_next(request.form.get("next") or referrer_path(), "/"))
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
    route_everywhere(app, "/readyz", "readyz", readyz)
    route_everywhere(app, "/language", "set_language", set_language, methods=["POST"])
    # Flask registers /static for the default (platform) site only; tenant hosts need it too.
    app.add_url_rule(f"{app.static_url_path}/<path:filename>", "static",
                     app.view_functions["static"], subdomain=site.TENANT)
