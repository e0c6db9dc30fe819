"""The search cache (Redis), and how it stays correct.

Invalidation is by generation counters, not by deleting keys: a search key embeds two counters,
one for the tenant's schedules and one for the travel date's inventory, so a change is one INCR
(no SCAN over keys, and a search that computed its answer from data older than the change can only
store it under the old generation, where nobody reads it again: the counters are read before the
answer is computed). Schedule changes (stations, trains, stops, coaches, fares, trips) bump the
tenant counter; a hold, sale or release on a trip bumps only the dates that trip serves, so an Eid
rush on one day does not empty the cache for every other day. Holds also expire with no write at
all, so every entry lives at most `TTL_SECONDS`: availability shown by search is at most that old;
the seat map and the hold itself always read the database.

No Redis (the embedded default), or Redis failing: no cache, search reads the database.
"""
from __future__ import annotations

import json
import logging
from datetime import date, timedelta

import redis
from flask import current_app, has_app_context

from services.redis_conn import redis_client
from services.tenant_db import require_tenant

TTL_SECONDS = 30
MAX_DAY_OFFSET = 3  # route_stops.day_offset is at most 3: a trip serves its date and three more
log = logging.getLogger(__name__)


def _prefix() -> str:
    return f"{current_app.config['REDIS_KEY_PREFIX']}rail:{require_tenant().slug}:"


def _client():
    return redis_client() if has_app_context() else None


def schedules_changed() -> None:
    """After a commit that changed the network, fares or trips: every cached search is stale."""
    _incr([_prefix() + "gen"])


def inventory_changed(service_date: date) -> None:
    """After a commit that holds, sells or frees seats on a trip of `service_date` (called by the
    inventory service): searches for the dates that trip serves are stale."""
    prefix = _prefix()
    _incr([f"{prefix}gen:{service_date + timedelta(days=d)}" for d in range(MAX_DAY_OFFSET + 1)])


def _incr(keys: list[str]) -> None:
    client = _client()
    if client is None:
        return
    try:
        pipe = client.pipeline()
        for key in keys:
            pipe.incr(key)
        pipe.execute()
    except redis.RedisError:
        log.warning("search cache: could not bump %s", keys, exc_info=True)


def cached(key_parts: tuple, travel_date: date, compute):
    """`compute()`'s JSON-able answer, from the cache when fresh; always correct without Redis."""
    client = _client()
    if client is None:
        return compute()
    prefix = _prefix()
    try:
        tenant_gen, date_gen = client.mget(prefix + "gen", f"{prefix}gen:{travel_date}")
    except redis.RedisError:
        log.warning("search cache unavailable", exc_info=True)
        return compute()
    key = f"{prefix}trains:{int(tenant_gen or 0)}.{int(date_gen or 0)}:" + ":".join(map(str, key_parts))
    try:
        hit = client.get(key)
    except redis.RedisError:
        hit = None
    if hit is not None:
        return json.loads(hit)
    answer = compute()
    try:
        client.set(key, json.dumps(answer), ex=TTL_SECONDS)
    except redis.RedisError:
        log.warning("search cache: could not store", exc_info=True)
    return answer
