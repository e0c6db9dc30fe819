"""Flask-Login wiring. One login manager for the whole app; the session's user id says which kind
of account it is (`staff:<id>:<version>`, `customer:<id>:<version>`), so a customer session is never
a staff session. The version is bumped to end every session of an account at once."""
from __future__ import annotations

from typing import Callable

from flask import Flask, g
from flask_login import LoginManager

login_manager = LoginManager()
login_manager.session_protection = "basic"

# kind -> function(id: int, version: int) returning the account or None
LOADERS: dict[str, Callable] = {}


def account_loader(kind: str):
    def register(func):
        LOADERS[kind] = func
        return func

    return register


@login_manager.user_loader
def load_account(user_id: str):
    if g.get("tenant") is None:  # accounts live in tenant databases only
        return None
    kind, _, rest = (user_id or "").partition(":")
    ident, _, version = rest.partition(":")
    loader = LOADERS.get(kind)
    if loader is None or not ident.isdigit() or not version.isdigit():
        return None
    return loader(int(ident), int(version))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
