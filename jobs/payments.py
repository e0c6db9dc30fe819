"""Payment jobs: ask for a refund, and the periodic reconciliation (rule 4).
Each is harmless to run twice: refunds carry their key to the gateway,
reconciliation changes nothing that is settled."""
from __future__ import annotations

from dataclasses import asdict


def process_refund(refund_id: int) -> str:
    from services.checkout import refunds

    return refunds.process(refund_id)


def reconcile_tenant(_slug: str | None = None) -> dict:
    from services.checkout import reconcile

    return asdict(reconcile.run())


def reconcile_all() -> None:
    """One job per tenant, suspended ones too: money paid to them is settled all the same (inline
    where jobs run inline)."""
    from jobs.queue import enqueue
    from services import tenants

    for info in tenants.list_tenants():
        enqueue("jobs.payments.reconcile_tenant", tenant=info.slug)
