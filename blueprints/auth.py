"""Flask-Login wiring: one login manager for the whole app, backed by server-side login sessions.

The id Flask-Login keeps in the session cookie and in the remember-me cookie is
`<kind>:<site>:<key>`: the kind of account (a customer session is never a staff session), the site
it was opened on (the tenant's slug, or "platform"), and the key of a row in `login_sessions`
(`services/login_sessions.py`). Both cookies are signed with the one SECRET_KEY and only the session
cookie is bound to its host, so the site in the id is what makes a cookie from one tenant mean
nothing on another; the key is what makes it mean nothing anywhere once its session has ended.
"""
from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME

from services import login_sessions

login_manager = LoginManager()
login_manager.session_protection = "basic"

PLATFORM_SITE = "platform"  # a reserved slug: no tenant is called that
# kind -> the SessionUser class that wraps its accounts
USER_CLASSES: dict[str, type["SessionUser"]] = {}


class SessionUser(UserMixin):
    """A logged-in account as Flask-Login sees it, under one server-side login session."""

    kind: str = ""
    lives_on_platform = False  # platform accounts log in on the platform host only, tenant ones on their tenant

    def __init__(self, account, session_key: str | None = None):
        self.account = account
        self.session_key = session_key
        self.id = account.id
        self.name = account.name
        self.email = account.email

    def get_id(self) -> str:
        if not self.session_key:
            raise RuntimeError("open a login session (auth.start_session) before logging an account in")
        return f"{self.kind}:{current_site()}:{self.session_key}"


def account_kind(cls: type[SessionUser]) -> type[SessionUser]:
    """Class decorator: requests carrying `cls.kind` ids load through this class."""
    USER_CLASSES[cls.kind] = cls
    return cls


def current_site() -> str:
    tenant = g.get("tenant")
    return tenant.slug if tenant is not None else PLATFORM_SITE


@login_manager.user_loader
def load_account(user_id: str):
    kind, site, key = ((user_id or "").split(":", 2) + ["", ""])[:3]
    cls = USER_CLASSES.get(kind)
    on_platform = g.get("tenant") is None
    if cls is None or site != current_site() or cls.lives_on_platform != on_platform:
        return _refuse()
    account = login_sessions.account_for(kind, key)
    return cls(account, key) if account is not None else _refuse()


def _refuse() -> None:
    """A dead or foreign id: forget it, and drop the remember-me cookie that brought it, so the
    next requests do not look it up again."""
    session.pop("_user_id", None)
    if current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies:
        session["_remember"] = "clear"
    return None


def start_session(user: SessionUser, remember: bool = False) -> None:
    """Log `user` in on a fresh session: whatever the old session held (another account, a
    fixated id) ends first, server-side too, and the CSRF token is renewed with it. A customer
    keeps the tickets they held as a guest in this browser."""
    guest = session.get("guest")
    end_session()
    user.session_key = login_sessions.open_session(user.kind, user.account, ip=request.remote_addr,
                                                   user_agent=request.user_agent.string)
    login_user(user, remember=remember, fresh=True)
    if guest and user.kind == "customer":
        from services.inventory.holds import adopt_guest_holds

        adopt_guest_holds(guest, user.account.id)


def end_session() -> None:
    """Log out: the login session's row goes, so no copy of this browser's cookies opens it again."""
    key = getattr(current_user, "session_key", None)
    if key:
        login_sessions.close_session(current_user.kind, key)
    logout_user()
    remember = session.get("_remember")  # "clear": Flask-Login deletes the remember-me cookie
    session.clear()
    if remember:
        session["_remember"] = remember


def _load_user_first() -> None:
    """Look the login session up before the view runs: the lookup may note the session's use and
    commit, which must never commit half of a view's own work."""
    # Flask-Login caches the user on `g`, which lives on the app context: a request served inside an
    # outer app context (tests, or a job that renders) would otherwise inherit another site's user.
    g.pop("_login_user", None)
    view = current_app.view_functions.get(request.endpoint)
    # Static files need no account; the gate's scan API carries its own token (blueprints/gate/api.py).
    if request.endpoint != "static" and not getattr(view, "without_login", False):
        current_user._get_current_object()


def init_app(app: Flask) -> None:
    # A remember-me cookie lasts as long as an idle session may (the server ends it then anyway).
    app.config.setdefault("REMEMBER_COOKIE_DURATION", login_sessions.IDLE_LIMIT)
    login_manager.init_app(app)
    app.before_request(_load_user_first)  # after site.bind_tenant, which app.py registers first
