"""Which site a request is for: the platform, or one tenant (bound for the whole request)."""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, g, request
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

from services import tenant_db, tenants

PLATFORM = ""
TENANT = "tenant"
# Endpoints a suspended tenant still serves (load balancers, assets).
# A suspended tenant still hears from the gateways: money paid before the suspension is settled.
_ALWAYS_SERVED = {"static", "healthz", "readyz", "checkout.gateway_return", "checkout.gateway_ipn"}


def site_of(host: str, platform_domain: str) -> str:
    return PLATFORM if tenants.is_platform_host(host, platform_domain) else TENANT


class HostBoundSessionInterface(SecureCookieSessionInterface):
    """Signs the session cookie for one host: a cookie from zoo's host is not even a valid
    signature on fort's host, so no session, customer or staff, carries across tenants."""

    def get_signing_serializer(self, app: Flask):
        if not app.secret_key:
            return None
        return URLSafeTimedSerializer(
            app.secret_key,
            salt=f"{self.salt}:{tenants.normalise_host(request.host)}",
            serializer=self.serializer,
            signer_kwargs={"key_derivation": self.key_derivation, "digest_method": self.digest_method},
        )


def bind_tenant():
    g.tenant = None
    if request.environ.get("jatra.site") != TENANT:
        return None
    info = tenants.lookup_host(request.host)
    if info is None:
        g.unknown_site = True
        abort(404)
    g.tenant = info
    g.tenant_token = tenant_db.bind(info)
    if info.status == "suspended" and request.endpoint not in _ALWAYS_SERVED:
        abort(503)
    return None


def expect_writes():
    # GET and HEAD only read: on SQLite their transactions begin without the write lock.
    g.begin_token = tenant_db.expect_writes(request.method not in ("GET", "HEAD", "OPTIONS"))


def done_expecting_writes(_exc=None):
    token = g.pop("begin_token", None)
    if token is not None:
        tenant_db.done_expecting(token)


def unbind_tenant(_exc=None):
    token = g.pop("tenant_token", None)
    if token is not None:
        tenant_db.unbind(token)


def sales_required(view):
    """Refuses a sales action (hold, checkout, pay) while the tenant is in maintenance."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("tenant") is not None and not g.tenant.sales_open:
            abort(503, description="Sales are paused while we do maintenance. Please try again shortly.")
        return view(*args, **kwargs)

    return wrapper


def init_app(app: Flask) -> None:
    app.session_interface = HostBoundSessionInterface()
    app.before_request(expect_writes)
    app.before_request(bind_tenant)
    app.teardown_request(unbind_tenant)
    app.teardown_request(done_expecting_writes)
