"""The tenant's payment gateways: which are enabled, where each one is, and its adapter.

Stored in the registry (`tenant_configs.payment_gateways`), per gateway name:
  {"enabled": bool, "mode": "simulator" | "sandbox" | "live", "base_url": optional override,
   "credentials": <sealed JSON>}
`simulator` is the local simulator (gateways/sandbox) at GATEWAY_SIMULATOR_URL; `sandbox` the
gateway's own public sandbox; `live` real money. Credentials are sealed with services.crypto under
a context naming the tenant and the gateway, so a sealed value cannot be moved to another tenant.

Production refuses a simulator or sandbox gateway unless the tenant is marked test
(`features.test`): a real customer is never sent to a page that takes no money.
"""
from __future__ import annotations

import json
import threading

from flask import current_app
from flask_babel import lazy_gettext as _l

from services import crypto, tenant_db
from services.checkout import CheckoutError

ORDER = ("sslcommerz", "bkash")
CREDENTIAL_KEYS = {"sslcommerz": ("store_id", "store_passwd"),
                   "bkash": ("app_key", "app_secret", "username", "password")}
MODES = ("simulator", "sandbox", "live")
_adapters: dict[tuple, object] = {}
_lock = threading.Lock()


class GatewayMisconfigured(CheckoutError):
    pass


def _context(slug: str, name: str) -> str:
    return f"gateway:{slug}:{name}"


def seal_settings(slug: str, name: str, *, enabled: bool, mode: str, credentials: dict,
                  base_url: str | None = None) -> dict:
    """The stored form of one gateway's settings (for `tenants.update_config(payment_gateways=...)`)."""
    if name not in ORDER:
        raise GatewayMisconfigured(f"unknown gateway {name!r}")
    if mode not in MODES:
        raise GatewayMisconfigured(f"mode must be one of {', '.join(MODES)}")
    return {"enabled": bool(enabled), "mode": mode, "base_url": base_url or None,
            "credentials": crypto.seal(json.dumps(credentials), context=_context(slug, name))}


def enabled() -> list[str]:
    """The gateways a customer of the current tenant may choose, in a fixed order."""
    settings = tenant_db.require_tenant().payment_gateways
    return [name for name in ORDER if (settings.get(name) or {}).get("enabled")]


def base_url(mode: str, name: str, override: str | None = None) -> str:
    from gateways import LIVE_URLS, SANDBOX_URLS

    if override:
        return override.rstrip("/")
    if mode == "simulator":
        root = current_app.config.get("GATEWAY_SIMULATOR_URL")
        if not root:
            raise GatewayMisconfigured("GATEWAY_SIMULATOR_URL is not set: the local simulator is not running")
        return f"{root.rstrip('/')}/{name}"
    return (SANDBOX_URLS if mode == "sandbox" else LIVE_URLS)[name]


def takes_no_money(mode: str, url: str) -> bool:
    """A sandbox or the simulator, by its mode or by its URL (a "live" gateway pointed at a sandbox)."""
    from gateways import SANDBOX_URLS

    simulator = (current_app.config.get("GATEWAY_SIMULATOR_URL") or "").rstrip("/")
    return (mode != "live" or url.rstrip("/") in {u.rstrip("/") for u in SANDBOX_URLS.values()}
            or bool(simulator and url.startswith(simulator)))


def adapter_for(name: str, *, require_enabled: bool = True):
    """The adapter for one of the tenant's enabled gateways, or GatewayMisconfigured."""
    from gateways import adapter
    from gateways.base import GatewayConfig

    tenant = tenant_db.require_tenant()
    settings = tenant.payment_gateways.get(name) or {}
    if not settings or (require_enabled and not settings.get("enabled")):
        raise GatewayMisconfigured(str(_l("That payment method is not available.")))
    mode = settings.get("mode", "live")
    guarded = current_app.config["JATRA_ENV"] == "production" and not tenant.features.get("test")
    if guarded and mode != "live":
        raise GatewayMisconfigured(f"{name} is set to {mode}, which production refuses for a tenant not marked test")
    url = base_url(mode, name, settings.get("base_url"))
    if guarded and takes_no_money(mode, url):
        raise GatewayMisconfigured(f"{name} points at {url}, which production refuses for a tenant not marked test")
    key = (tenant.slug, name, url, settings.get("credentials"))
    with _lock:
        found = _adapters.get(key)
        if found is None:
            credentials = json.loads(crypto.open_sealed(settings["credentials"], context=_context(tenant.slug, name)))
            found = _adapters[key] = adapter(GatewayConfig(name=name, base_url=url, credentials=credentials))
    return found
