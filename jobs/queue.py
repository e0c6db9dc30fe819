"""Enqueueing jobs: RQ on Redis in production; in the embedded default, RQ on an in-process
fakeredis: jobs enqueued now run inline (synchronously), and jobs scheduled for later
(enqueue_at/enqueue_in) wait in RQ's scheduled registry there until jobs/embedded.py runs them
with RQ's own scheduler and a worker thread. The same code path runs either way."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, current_app
from rq import Queue

from services.redis_conn import redis_client

_embedded_server = None


def embedded_connection():
    """The fakeredis connection the embedded default's queues share (one server per process)."""
    global _embedded_server
    from fakeredis import FakeRedis, FakeServer

    if _embedded_server is None:
        _embedded_server = FakeServer()
    return FakeRedis(server=_embedded_server)


def init_app(app: Flask) -> None:
    app.extensions["jatra.queues"] = {}


def get_queue(name: str | None = None) -> Queue:
    name = name or current_app.config.get("JOBS_QUEUE", "default")
    queues = current_app.extensions["jatra.queues"]
    queue = queues.get(name)
    if queue is None:
        if current_app.config["JOBS_INLINE"]:
            queue = Queue(name, connection=embedded_connection(), is_async=False)
        else:
            queue = Queue(name, connection=redis_client())
        queues[name] = queue
    return queue


def enqueue(func_path: str, *args, tenant: str | None, queue: str | None = None, **options):
    """Run `func_path(*args)` for `tenant` in the background (inline in the embedded default).
    Options are RQ's (`retry`, `job_id`, `job_timeout`...)."""
    return get_queue(queue).enqueue("jobs.run_for_tenant", tenant, func_path, *args, **options)


def enqueue_at(when: datetime, func_path: str, *args, tenant: str | None, queue: str | None = None, **options):
    """Run it at `when` (a worker started --with-scheduler moves it to the queue then)."""
    return get_queue(queue).enqueue_at(when, "jobs.run_for_tenant", tenant, func_path, *args, **options)


def enqueue_in(delay: timedelta, func_path: str, *args, tenant: str | None, queue: str | None = None, **options):
    return get_queue(queue).enqueue_in(delay, "jobs.run_for_tenant", tenant, func_path, *args, **options)
