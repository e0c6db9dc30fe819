"""Demo payments: each demo tenant pays through the local gateway simulator (gateways/sandbox), with
its prices' VAT and service charge and its refund policy, so `make run` sells with no set-up."""
from __future__ import annotations

from services import tenant_db, tenants
from services.checkout.gateways import seal_settings

DEMO_CREDENTIALS = {
    "sslcommerz": {"store_id": "jatrademo", "store_passwd": "jatrademo@ssl"},
    "bkash": {"app_key": "jatra-demo-app-key", "app_secret": "jatra-demo-app-secret", "username": "jatrademo",
              "password": "jatra-demo-password"},
}
DEMO = {
    "rail": {"gateways": ("sslcommerz", "bkash"),
             "settings": {"booking_prefix": "BR", "service_charge_per_ticket": 20}},
    "zoo": {"gateways": ("bkash", "sslcommerz"), "settings": {"booking_prefix": "ZOO"}},
    "fort": {"gateways": ("sslcommerz", "bkash"), "settings": {"booking_prefix": "FORT", "vat_percent": 15}},
}


def seed_demo_payments() -> str | None:
    """Point the bound demo tenant's gateways at the simulator, unless it has gateways already."""
    tenant = tenant_db.require_tenant()
    demo = DEMO.get(tenant.slug)
    if demo is None or tenant.payment_gateways:
        return None
    gateways = {name: seal_settings(tenant.slug, name, enabled=True, mode="simulator",
                                    credentials=DEMO_CREDENTIALS[name]) for name in demo["gateways"]}
    tenants.update_config(tenant.slug, payment_gateways=gateways, settings=demo["settings"])
    return "payments through the local gateway simulator"
