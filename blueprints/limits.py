"""Rate limits on the endpoints people (and bots) hammer: logins, registration, sending and
checking one-time codes. Keys are per site host and client address, plus the account a login names
or the contact a code is checked for, so one tenant's traffic never uses up another's allowance."""
from __future__ import annotations

import math
import time

from typing import Callable

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_login import current_user

from services.tenants import normalise_host


def _site_and_address() -> str:
    return f"{normalise_host(request.host)}|{request.remote_addr}"


def _site_address_and_account() -> str:
    """For logins: the account the form names is the one whose password is being guessed."""
    named = request.form.get("identifier") or request.form.get("email") or ""
    if not named and getattr(current_user, "is_authenticated", False):
        named = current_user.get_id()
    return f"{_site_and_address()}|{named.strip().lower()[:254]}"


limiter = Limiter(key_func=_site_and_address)


def _setting(name: str):
    return lambda: current_app.config[name]


def _limit(setting: str, key_func=_site_and_address):
    return limiter.limit(_setting(setting), key_func=key_func, methods=["POST"])


def login_limits(view):
    """Per account (guessing one password) and per address (trying many accounts)."""
    view = _limit("RATE_LIMIT_LOGIN_ACCOUNT", _site_address_and_account)(view)
    return _limit("RATE_LIMIT_LOGIN_ADDRESS")(view)


def _site_and_holder() -> str:
    """Holds are counted per customer (or guest session), not per address: many people share one
    mobile carrier's address at 8 a.m."""
    holder = current_user.get_id() if getattr(current_user, "is_authenticated", False) else None
    from flask import session

    return f"{normalise_host(request.host)}|{holder or session.get('guest') or request.remote_addr}"


register_limit = _limit("RATE_LIMIT_REGISTER")
hold_limit = _limit("RATE_LIMIT_HOLD", _site_and_holder)
checkout_limit = _limit("RATE_LIMIT_CHECKOUT", _site_and_holder)
otp_send_limit = _limit("RATE_LIMIT_OTP_SEND")


def otp_verify_limit(checked_for: Callable[[], str | None]):
    """Checking codes, counted per address and per contact whose code is tried: `checked_for` says
    which from what the server keeps (the session, the logged-in account), never from the form,
    so changing a form field on each try does not start a fresh count."""
    return _limit("RATE_LIMIT_OTP_VERIFY", lambda: f"{_site_and_address()}|{checked_for() or ''}")


def retry_after() -> int | None:
    """Seconds until the limit this request broke lets it through again."""
    current = limiter.current_limit
    if current is None or not current.breached:
        return None
    return max(1, math.ceil(current.reset_at - time.time()))


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config['REDIS_KEY_PREFIX']}limits")
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    # Redis down: keep counting in this process rather than refusing every login.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
