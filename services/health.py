"""Health of the platform database, a tenant's database and Redis."""
from __future__ import annotations

import time

import sqlalchemy as sa

from models import db
from models.platform import TenantHealth
from services import tenant_db
from services.redis_conn import redis_client


def _timed(probe) -> dict:
    started = time.perf_counter()
    try:
        probe()
    except Exception as exc:  # any failure is the answer here, not an error
        return {"status": "error", "error": type(exc).__name__}
    return {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 2)}


def _ping_engine(engine) -> None:
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def _ping_redis() -> None:
    redis_client().ping()


def check_request_site() -> dict:
    """For /healthz: what this process can reach right now, for the site of the request."""
    report = {"platform_db": _timed(lambda: db.session.execute(sa.text("SELECT 1")))}
    tenant = tenant_db.current_tenant()
    if tenant is not None:
        report["tenant"] = tenant.slug
        report["tenant_status"] = tenant.status
        report["tenant_db"] = _timed(lambda: _ping_engine(tenant_db.engine_for(tenant)))
    report["redis"] = _timed(_ping_redis) if redis_client() is not None else {"status": "disabled"}
    failing = [k for k, v in report.items() if isinstance(v, dict) and v["status"] == "error"]
    report["status"] = "ok" if not failing else "degraded"
    return report


def record_tenant_health(info) -> TenantHealth:
    """Periodic check of one tenant's database, kept in the registry's tenant_health table."""
    result = _timed(lambda: _ping_engine(tenant_db.engine_for(info)))
    ms = result.get("ms")
    status = "critical" if result["status"] == "error" else ("degraded" if ms > 500 else "healthy")
    row = TenantHealth(tenant_id=info.id, check_type="database", status=status,
                       response_time_ms=int(ms) if ms is not None else None, details=result)
    db.session.add(row)
    db.session.commit()
    return row
