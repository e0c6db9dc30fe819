"""Language and time zone of a request: the visitor's remembered choice, else the browser's."""
from __future__ import annotations

from flask import current_app, g, request

LANG_COOKIE = "lang"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(list(languages)) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    tenant = g.get("tenant")
    return tenant.setting("timezone") if tenant else current_app.config["BABEL_DEFAULT_TIMEZONE"]
