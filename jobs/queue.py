"""Enqueueing jobs: RQ on Redis in production; inline (RQ on fakeredis, synchronous) in the
embedded default, so the same code path runs either way."""
from __future__ import annotations

from flask import Flask, current_app
from rq import Queue

from services.redis_conn import redis_client


def init_app(app: Flask) -> None:
    app.extensions["jatra.queues"] = {}


def get_queue(name: str = "default") -> Queue:
    queues = current_app.extensions["jatra.queues"]
    queue = queues.get(name)
    if queue is None:
        if current_app.config["JOBS_INLINE"]:
            from fakeredis import FakeRedis

            queue = Queue(name, connection=FakeRedis(), is_async=False)
        else:
            queue = Queue(name, connection=redis_client())
        queues[name] = queue
    return queue


def enqueue(func_path: str, *args, tenant: str | None, queue: str = "default", **options):
    """Run `func_path(*args)` for `tenant` in the background (inline in the embedded default).
    Options are RQ's (`retry`, `job_id`, `job_timeout`...)."""
    return get_queue(queue).enqueue("jobs.run_for_tenant", tenant, func_path, *args, **options)
