"""Which tenant the current request, job or command works for, and that tenant's engine.

The binding is a context variable: a request binds its tenant in `before_request` and unbinds in
teardown; jobs and commands use `tenant_context(slug)`. Engines are created once per tenant and
database URL and cached for the life of the process.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine, URL

if TYPE_CHECKING:
    from services.tenants import TenantInfo


class NoTenantBound(RuntimeError):
    """A tenant table was queried with no tenant bound (a bug, never a user error)."""


_current: ContextVar["TenantInfo | None"] = ContextVar("jatra_tenant", default=None)
_engines: dict[tuple[str, str], Engine] = {}
_engines_lock = threading.Lock()


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    # WAL lets the seat map read while a purchase writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True, pool_recycle=1800)


def engine_for(info: "TenantInfo") -> Engine:
    key = (info.slug, info.database_url.render_as_string(hide_password=False))
    engine = _engines.get(key)
    if engine is None:
        with _engines_lock:
            engine = _engines.get(key)
            if engine is None:
                engine = _engines[key] = make_engine(info.database_url)
    return engine


def dispose_engine(slug: str) -> None:
    """Close a tenant's pooled connections (before dropping its database)."""
    with _engines_lock:
        for key in [k for k in _engines if k[0] == slug]:
            _engines.pop(key).dispose()


def dispose_all() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def current_tenant() -> "TenantInfo | None":
    return _current.get()


def require_tenant() -> "TenantInfo":
    tenant = _current.get()
    if tenant is None:
        raise NoTenantBound("no tenant is bound to this request, job or command")
    return tenant


def current_engine() -> Engine:
    return engine_for(require_tenant())


def bind(info: "TenantInfo | None"):
    """Bind a tenant; returns the token that `unbind` takes."""
    return _current.set(info)


def unbind(token) -> None:
    _current.reset(token)


@contextmanager
def tenant_context(slug_or_info) -> Iterator["TenantInfo"]:
    """Work for one tenant (jobs, commands). Cleans the session before and after, so objects
    loaded for one tenant never leak into the next."""
    from models import db
    from services import tenants

    info = tenants.get(slug_or_info) if isinstance(slug_or_info, str) else slug_or_info
    db.session.remove()
    token = bind(info)
    try:
        yield info
    finally:
        db.session.remove()
        unbind(token)
