"""RQ jobs: small functions that take a tenant slug and ids, open the tenant and call a service.

Every job goes through `run_for_tenant`, so it runs in an app context with that tenant bound,
whether an `rq worker` process picks it up or the embedded default runs it inline.
"""
from __future__ import annotations

import importlib
import os

from flask import current_app, has_app_context

_worker_app = None
_made_in = None  # the process that made it: a forked work horse inherits the app, not its connections


def _app():
    global _worker_app, _made_in
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from app import create_app

        _worker_app, _made_in = create_app(), os.getpid()
    elif _made_in != os.getpid():
        _forget_inherited_connections(_worker_app)
        _made_in = os.getpid()
    return _worker_app


def _forget_inherited_connections(app) -> None:
    """In a work horse forked from a warm worker (jobs/worker.py): pooled database connections
    belong to the parent; this process opens its own (Redis clients notice the fork themselves)."""
    from models import db
    from services import tenant_db

    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
    tenant_db.dispose_all(close=False)


def _resolve(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def run_for_tenant(tenant_slug: str | None, func_path: str, *args, **kwargs):
    from services.tenant_db import tenant_context

    app = _app()
    func = _resolve(func_path)
    with app.app_context():
        if tenant_slug is None:
            return func(*args, **kwargs)
        with tenant_context(tenant_slug):
            return func(*args, **kwargs)
