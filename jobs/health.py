"""Periodic tenant health checks (schedule with `rq cron`; harmless to run twice)."""
from services import health, tenant_db


def check_tenant(_slug: str | None = None) -> str:
    return health.record_tenant_health(tenant_db.require_tenant()).status


def check_all() -> int:
    """Fan out one health check per tenant (each runs bound to its tenant)."""
    from jobs.queue import enqueue
    from services import tenants

    infos = tenants.list_tenants()
    for info in infos:
        enqueue("jobs.health.check_tenant", tenant=info.slug)
    return len(infos)
