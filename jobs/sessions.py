"""Daily clean-up of login sessions that can never be used again (harmless to run twice)."""
from services import login_sessions


def purge_tenant(_slug: str | None = None) -> int:
    return login_sessions.purge_stale(login_sessions.TENANT_KINDS)


def purge_all() -> int:
    """The registry's platform admin sessions here, one job per tenant for the rest."""
    from jobs.queue import enqueue
    from services import tenants

    for info in tenants.list_tenants():
        enqueue("jobs.sessions.purge_tenant", tenant=info.slug)
    return login_sessions.purge_stale(login_sessions.PLATFORM_KINDS)
