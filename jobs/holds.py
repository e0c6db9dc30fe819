"""Expired holds give their seats and quantities back without anyone clicking (rule 3): a periodic
sweep per tenant (harmless twice, or alongside the takeovers holds do on the spot)."""
from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)
SWEEP_SECONDS = 15


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


def start_embedded_sweeper(app, interval: float = SWEEP_SECONDS) -> threading.Thread:
    """The embedded default has no `rq cron`: a daemon thread of the serving process sweeps expired
    holds instead, and reconciles payments every RECONCILE_SECONDS (jobs.payments)."""
    from jobs.payments import RECONCILE_SECONDS, reconcile_all

    every = max(int(RECONCILE_SECONDS // interval), 1)

    def loop():
        stop, rounds = threading.Event(), 0
        while not stop.wait(interval):
            rounds += 1
            for due, job in ((True, expire_all), (rounds % every == 0, reconcile_all)):
                if not due:
                    continue
                try:
                    with app.app_context():
                        job()
                except Exception:  # what failed is tried again next time round
                    log.exception("%s failed", job.__name__)

    thread = threading.Thread(target=loop, name="hold-sweeper", daemon=True)
    thread.start()
    return thread
