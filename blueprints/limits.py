"""Rate limits on the endpoints people (and bots) hammer: logins, registration, sending and
checking one-time codes. Keys are per site host and client address, plus the account named in the
form where there is one, so one tenant's traffic never uses up another's allowance."""
from __future__ import annotations

import math
import time

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_login import current_user

from services.tenants import normalise_host


def _site_and_address() -> str:
    return f"{normalise_host(request.host)}|{request.remote_addr}"


def _site_address_and_account() -> str:
    named = request.form.get("identifier") or request.form.get("email") or request.form.get("phone") or ""
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


register_limit = _limit("RATE_LIMIT_REGISTER")
otp_send_limit = _limit("RATE_LIMIT_OTP_SEND")
otp_verify_limit = _limit("RATE_LIMIT_OTP_VERIFY", _site_address_and_account)


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
