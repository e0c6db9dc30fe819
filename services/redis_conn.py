"""The Redis connection, when one is configured (production and tests). The embedded default
runs without Redis: callers treat `None` as "no cache, no pub/sub, jobs inline"."""
from __future__ import annotations

import threading

import redis
from flask import current_app

_clients: dict[str, redis.Redis] = {}
_lock = threading.Lock()


def redis_client() -> redis.Redis | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        with _lock:
            client = _clients.setdefault(url, redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2))
    return client
