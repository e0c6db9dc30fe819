"""Health of the platform database, a tenant's database and Redis.

Two questions, answered from the same report: is this process alive (it is, if it answers), and is
it ready for traffic (only if the database the site needs answers). Redis being down degrades the
process but does not make it unready: every page still works, rate limits are then counted in each
process separately, which the report and the log say.
"""
from __future__ import annotations

import logging
import threading
import time

import sqlalchemy as sa

from models import db
from models.platform import TenantHealth
from services import tenant_db
from services.redis_conn import redis_client

log = logging.getLogger(__name__)

OK, DOWN, DISABLED = "ok", "down", "disabled"

_redis_was_down = False
_redis_state_lock = threading.Lock()


def _timed(probe) -> dict:
    started = time.perf_counter()
    try:
        probe()
    except Exception as exc:  # any failure is the answer here, not an error
        return {"status": DOWN, "error": type(exc).__name__}
    return {"status": OK, "ms": round((time.perf_counter() - started) * 1000, 2)}


def _ping_engine(engine) -> None:
    with engine.connect() as conn:
        tenant_db.read_only(conn).execute(sa.text("SELECT 1"))  # never waits for a writer on SQLite


def _ping_redis() -> None:
    redis_client().ping()


def _note_redis(down: bool) -> None:
    """Log when Redis goes away and when it is back, once per change rather than per check."""
    global _redis_was_down
    with _redis_state_lock:
        changed, _redis_was_down = down != _redis_was_down, down
    if changed and down:
        log.warning("Redis is unreachable: rate limits are counted per process until it is back "
                    "(each worker allows the full limit), and there is no cache or live update")
    elif changed:
        log.info("Redis is reachable again: rate limits are shared by all processes")


def check_request_site() -> dict:
    """What this process can reach right now, for the site of the request.

    `ready` is false only when a database this site needs is unreachable; `degraded` lists every
    part that is down, and `rate_limits` says whether limits are shared (Redis) or per process.
    """
    report = {"platform_db": _timed(lambda: _ping_engine(db.engine))}
    databases = ["platform_db"]
    tenant = tenant_db.current_tenant()
    if tenant is not None:
        report["tenant"] = tenant.slug
        report["tenant_status"] = tenant.status
        report["tenant_db"] = _timed(lambda: _ping_engine(tenant_db.engine_for(tenant)))
        databases.append("tenant_db")
    if redis_client() is None:
        report["redis"] = {"status": DISABLED}
    else:
        report["redis"] = _timed(_ping_redis)
        _note_redis(report["redis"]["status"] == DOWN)
    report["rate_limits"] = "shared" if report["redis"]["status"] == OK else "per-process"
    degraded = [name for name, part in report.items() if isinstance(part, dict) and part["status"] == DOWN]
    report["degraded"] = degraded
    report["ready"] = not any(name in degraded for name in databases)
    report["status"] = "degraded" if degraded else OK
    return report


def record_tenant_health(info) -> TenantHealth:
    """Periodic check of one tenant's database, kept in the registry's tenant_health table."""
    result = _timed(lambda: _ping_engine(tenant_db.engine_for(info)))
    ms = result.get("ms")
    status = "critical" if result["status"] == DOWN else ("degraded" if ms > 500 else "healthy")
    row = TenantHealth(tenant_id=info.id, check_type="database", status=status,
                       response_time_ms=int(ms) if ms is not None else None, details=result)
    db.session.add(row)
    db.session.commit()
    return row
