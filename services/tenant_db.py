"""Which tenant the current request, job or command works for, and that tenant's engine.

The binding is a context variable: a request binds its tenant in `before_request` and unbinds in
teardown; jobs and commands use `tenant_context(slug)`. Engines are created once per tenant and
database URL and cached for the life of the process; so are the small pools of autocommit psycopg
connections the gate's express lane uses on PostgreSQL (`autocommit_pool`).
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine, URL

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from services.tenants import TenantInfo


class NoTenantBound(RuntimeError):
    """A tenant table was queried with no tenant bound (a bug, never a user error)."""


_current: ContextVar["TenantInfo | None"] = ContextVar("jatra_tenant", default=None)
_engines: dict[tuple[str, str], Engine] = {}
_engines_lock = threading.Lock()
_pools: dict[tuple[str, str], "ConnectionPool"] = {}
_inherited: list["ConnectionPool"] = []  # a forked child's copies of its parent's pools
AUTOCOMMIT_POOL_SIZE = 8  # per tenant and process: a scan holds one for a statement or two


def _sqlite_connect(dbapi_connection, _record):
    # pysqlite's own transaction handling is off: left to itself it begins a transaction only
    # before an INSERT/UPDATE/DELETE, so a read and the write that depends on it run in separate
    # transactions. `_sqlite_begin` begins every transaction instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets the seat map read while a purchase writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


SQLITE_BEGIN_OPTION = "sqlite_begin"
_begin_mode: ContextVar[str] = ContextVar("jatra_sqlite_begin", default="IMMEDIATE")


def _sqlite_begin(conn) -> None:
    # SQLite drops FOR UPDATE: the row locks services take would protect nothing. BEGIN IMMEDIATE
    # takes the database's write lock at the start instead, so transactions that read, decide and
    # write follow one another (waiting up to busy_timeout) and never act on what another changed.
    # Work that only reads (GET requests, probes) begins DEFERRED: a snapshot, no lock, no waiting
    # (WAL). Should it write after all, SQLite refuses the write if another committed in between
    # (SQLITE_BUSY: `services.transactions` answers "try again"), so nothing is lost either way.
    mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION) or _begin_mode.get()
    conn.exec_driver_sql("BEGIN DEFERRED" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def expect_writes(writes: bool):
    """Say whether the work starting now in this context (a request) may write; on SQLite a
    reader then never holds the write lock. Returns the token `done_expecting` takes."""
    return _begin_mode.set("IMMEDIATE" if writes else "DEFERRED")


def done_expecting(token) -> None:
    _begin_mode.reset(token)


def configure_sqlite(engine: Engine) -> Engine:
    """Real transactions on a SQLite engine (the SQLAlchemy pysqlite recipe for serializable
    isolation, savepoints and transactional DDL): tenant engines and a SQLite platform engine."""
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_connect)
        sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def read_only(connectable):
    """An engine or connection for read-only work: on SQLite it begins without the write lock."""
    return connectable.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        return configure_sqlite(sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 5}))
    from flask import current_app, has_app_context

    config = current_app.config if has_app_context() else {}
    # Per tenant and process; gunicorn's threads beyond the pool wait for a connection.
    return sa.create_engine(url, pool_size=int(config.get("TENANT_DB_POOL_SIZE", 5)),
                            max_overflow=int(config.get("TENANT_DB_MAX_OVERFLOW", 10)),
                            pool_pre_ping=True, pool_recycle=1800)


def init_app(app) -> None:
    """Give the platform engine Flask-SQLAlchemy made the same SQLite transactions as tenants'."""
    from models import db

    with app.app_context():
        for engine in db.engines.values():
            configure_sqlite(engine)


def _once(cache: dict, info: "TenantInfo", make):
    """cache's entry for this tenant and database URL, made once however many threads ask."""
    key = (info.slug, info.database_url.render_as_string(hide_password=False))
    found = cache.get(key)
    if found is None:
        with _engines_lock:
            found = cache.get(key)
            if found is None:
                found = cache[key] = make()
    return found


def engine_for(info: "TenantInfo") -> Engine:
    return _once(_engines, info, lambda: make_engine(info.database_url))


def autocommit_pool(info: "TenantInfo") -> "ConnectionPool":
    """A PostgreSQL tenant's pool of autocommit psycopg connections, for work that is one statement
    (a transaction of its own) and must skip the ORM and the engine's ping on checkout."""
    from psycopg_pool import ConnectionPool

    def make():
        conninfo = info.database_url.set(drivername="postgresql").render_as_string(hide_password=False)
        return ConnectionPool(conninfo, min_size=1, max_size=AUTOCOMMIT_POOL_SIZE, kwargs={"autocommit": True},
                              name=f"express-{info.slug}", open=True)

    return _once(_pools, info, make)


def dispose_engine(slug: str) -> None:
    """Close a tenant's pooled connections (before dropping its database)."""
    with _engines_lock:
        for key in [k for k in _engines if k[0] == slug]:
            _engines.pop(key).dispose()
        for key in [k for k in _pools if k[0] == slug]:
            _pools.pop(key).close()


def dispose_all(*, close: bool = True) -> None:
    """Drop every tenant engine. `close=False` in a forked child: the parent's pooled connections
    are left to the parent (closing them here would close its sockets too)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose(close=close)
        _engines.clear()
        for pool in _pools.values():
            if close:
                pool.close()
            else:  # kept referenced, never used: freeing its connections would end the parent's sessions
                _inherited.append(pool)
        _pools.clear()


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
