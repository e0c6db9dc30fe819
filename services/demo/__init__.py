"""Demo tenants and their data, for `make run` and for people trying Jatra out.

`seed()` is idempotent: it creates what is missing and leaves what exists. Each later area adds its
demo data as a function in `SEEDERS` under a tenant slug; each such function runs with that tenant
bound and must itself be idempotent.
"""
from __future__ import annotations

import importlib

from services import tenants
from services.tenant_db import tenant_context

DEMO_TENANTS = [
    {
        "slug": "rail", "name": "Bangladesh Railway", "kind": "rail",
        "branding": {"primary": "#006a4e", "accent": "#f42a41", "logo": "img/tenants/rail.svg",
                     "tagline": "Intercity trains across Bangladesh, booked in a minute."},
    },
    {
        "slug": "zoo", "name": "Dhaka Zoo", "kind": "events",
        "branding": {"primary": "#2e6b30", "accent": "#f28c28", "logo": "img/tenants/zoo.svg",
                     "tagline": "Timed entry to the National Zoo, Mirpur."},
    },
    {
        "slug": "fort", "name": "Lalbagh Fort", "kind": "events",
        "branding": {"primary": "#7b2d26", "accent": "#d4a017", "logo": "img/tenants/fort.svg",
                     "tagline": "Mughal fort of 1678: daytime entry and the evening sound-and-light show."},
    },
]

# tenant slug -> dotted paths of functions that seed its demo data (added by later areas)
_COMMON = ["services.demo.staff.seed_demo_staff", "services.demo.customers.seed_demo_customer",
           "services.demo.payments.seed_demo_payments"]
SEEDERS: dict[str, list[str]] = {
    "rail": [*_COMMON, "services.rail.demo.seed_demo_railway"],
    "zoo": [*_COMMON, "services.demo.events.seed_zoo"],
    "fort": [*_COMMON, "services.demo.events.seed_fort"],
}


def _call(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)()


def seed() -> list[str]:
    """Create the demo tenants that are missing and seed their data; returns what it did."""
    done = []
    for spec in DEMO_TENANTS:
        try:
            info = tenants.get(spec["slug"])
        except tenants.UnknownTenant:
            info = tenants.create_tenant(spec["slug"], spec["name"], spec["kind"], branding=spec["branding"])
            done.append(f"created tenant {info.slug}")
        with tenant_context(info):
            for dotted in SEEDERS.get(info.slug, []):
                result = _call(dotted)
                if result:
                    done.append(f"{info.slug}: {result}")
    return done
