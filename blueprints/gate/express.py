"""The scan endpoint's express lane: a WSGI layer in front of the Flask app that answers the common
scan (POST /staff/gate/api/scan with a valid token and a signed code for this gate, entering) with
services.gate.express, skipping Flask's request machinery — routing, sessions, login, CSRF, rate
limits, the request hooks — which costs more than the scan itself (bench/gate.py). Everything it
does not answer (a bad token, a forged or wrong ticket, a typed number, an exit, SQLite, an error)
goes on to the Flask view unchanged, which answers it the slow, complete way.

The answer is the view's JSON, in the language the browser asks for, with the security headers
every response carries, and `X-Gate-Lane: express` (the view's answers say `full`).
"""
from __future__ import annotations

import io
import json
import logging

from flask import Flask, g
from flask_babel import force_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie

from blueprints.gate.messages import as_json
from blueprints.headers import security_headers
from blueprints.i18n import LANG_COOKIE
from services import tenant_db, tenants
from services.gate import express, tokens

log = logging.getLogger(__name__)
PATH = "/staff/gate/api/scan"
BODY_MAX = 8192
LANE_HEADER = "X-Gate-Lane"


class ExpressScan:
    def __init__(self, app: Flask):
        self.app, self.next = app, app.wsgi_app
        self.headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                        (LANE_HEADER, "express"),
                        *security_headers(app.config["JATRA_ENV"] == "production").items()]

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.next(environ, start_response)
        body = self._body(environ)
        answer = None
        if body is not None:
            environ["wsgi.input"] = io.BytesIO(body)  # the full path reads it again
            try:
                answer = self._answer(environ, body)
            except Exception:  # the full path answers instead, and reports what is wrong
                log.exception("gate express lane: passing the scan to the full path")
        if answer is None:
            return self.next(environ, start_response)
        start_response("200 OK", [*self.headers, ("Content-Length", str(len(answer)))])
        return [answer]

    @staticmethod
    def _body(environ) -> bytes | None:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if not 0 < length <= BODY_MAX or "json" not in (environ.get("CONTENT_TYPE") or ""):
            return None
        return environ["wsgi.input"].read(length)

    def _language(self, environ) -> str:
        languages = self.app.config["LANGUAGES"]
        chosen = parse_cookie(environ.get("HTTP_COOKIE", "")).get(LANG_COOKIE)
        if chosen in languages:
            return chosen
        accept = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
        return accept.best_match(list(languages)) or self.app.config["BABEL_DEFAULT_LOCALE"]

    def _answer(self, environ, body: bytes) -> bytes | None:
        scan = json.loads(body)
        if not isinstance(scan, dict) or scan.get("direction", "entry") != "entry":
            return None
        code, device = scan.get("code"), scan.get("device")
        if not isinstance(code, str) or not isinstance(device, str) or not device.isprintable() or not device:
            return None
        host = environ.get("HTTP_HOST", "")
        if tenants.is_platform_host(host, self.app.config["PLATFORM_DOMAIN"]):
            return None
        with self.app.app_context():
            info = tenants.lookup_host(host)
            if info is None or info.status == "suspended":
                return None
            try:
                gate_id = tokens.read(self.app.secret_key, environ.get("HTTP_X_GATE_TOKEN"), info.slug)
            except tokens.BadToken:
                return None
            bound = tenant_db.bind(info)
            try:
                outcome = express.scan(gate_id, code, device=device[:36])
                if outcome is None:
                    return None
                g.tenant = info  # the times in the answer are the tenant's
                with force_locale(self._language(environ)):
                    return json.dumps(as_json(outcome), ensure_ascii=False).encode()
            finally:
                tenant_db.unbind(bound)


def init_app(app: Flask) -> None:
    app.wsgi_app = ExpressScan(app)
