"""Flask-Login wiring. One login manager for the whole app; the session's user id says which kind
of account it is (`staff:<id>:<version>`, `customer:<id>:<version>`), so a customer session is never
a staff session. The version is bumped to end every session of an account at once."""
from __future__ import annotations

from typing import Callable

from flask import Flask, g, session
from flask_login import LoginManager, login_user, logout_user

login_manager = LoginManager()
login_manager.session_protection = "basic"

# kind -> function(id: int, version: int) returning the account or None
LOADERS: dict[str, Callable] = {}
# Kinds whose accounts live in the platform registry (served on the platform host only); every
# other kind lives in a tenant database and loads on that tenant's host only.
PLATFORM_KINDS: set[str] = set()


def account_loader(kind: str, *, platform: bool = False):
    def register(func):
        LOADERS[kind] = func
        if platform:
            PLATFORM_KINDS.add(kind)
        return func

    return register


@login_manager.user_loader
def load_account(user_id: str):
    kind, _, rest = (user_id or "").partition(":")
    ident, _, version = rest.partition(":")
    loader = LOADERS.get(kind)
    if loader is None or not ident.isdigit() or not version.isdigit():
        return None
    on_tenant_host = g.get("tenant") is not None
    if on_tenant_host == (kind in PLATFORM_KINDS):  # a platform account on a tenant host, or the reverse
        return None
    return loader(int(ident), int(version))


def start_session(account, remember: bool = False) -> None:
    """Log `account` in on a fresh session: whatever the old session held (another account, a
    fixated id) is dropped first, and the CSRF token is renewed with it."""
    logout_user()
    session.clear()
    login_user(account, remember=remember, fresh=True)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
