"""Expired holds give their seats and quantities back without anyone clicking (rule 3): a periodic
sweep per tenant (harmless twice, or alongside the takeovers holds do on the spot)."""
from __future__ import annotations


def expire_tenant(_slug: str | None = None) -> int:
    from services.inventory import holds

    return holds.expire_due()


def expire_all() -> None:
    """One job per tenant (inline where jobs run inline)."""
    from jobs.queue import enqueue
    from services import tenants

    for info in tenants.list_tenants():
        if info.status == "active":
            enqueue("jobs.holds.expire_tenant", tenant=info.slug)
