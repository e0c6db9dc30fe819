"""Live seat maps: services publish what changed on a trip or event after they commit, and every
open seat map of it hears within a moment (server-sent events, `blueprints/live.py`).

A channel is a name within the bound tenant, such as "trip:42" or "event:7". Each publish bumps the
channel's version and sends `{"v": <version>, "changes": [...]}`; versions only grow, so a listener
that sees a gap (or a page rendered at an older version) knows it missed something and reloads the
map, and the version is the ETag of the polling fallback.

Two backends, chosen by `redis_client()`:
- Redis (production, tests): PUBLISH on `<prefix>live:<tenant slug>:<channel>`, the version in
  `...:v`, both in one Lua script so versions reach listeners in order. Each process has ONE
  subscriber connection and thread (PSUBSCRIBE `<prefix>live:*`) that hands messages to the local
  listeners' queues: a thousand viewers cost a thousand queues, not a thousand Redis connections.
- No Redis (the embedded default, `make run`): an in-process broker, the same queues fed directly.

Live updates are best effort: `publish` never raises (the seats are committed by then; the map
catches up on the next message or poll), and the rules of DESIGN.md never depend on them.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections import defaultdict
from typing import Iterator

import redis
import sqlalchemy as sa
from flask import current_app

from models import db
from services.redis_conn import redis_client
from services.tenant_db import require_tenant

log = logging.getLogger(__name__)

VERSION_TTL_SECONDS = 40 * 24 * 3600  # a channel quiet this long starts again from a new, higher seed
LISTENER_BACKLOG = 1000  # messages one slow viewer may fall behind before its stream is ended
CONNECT_WAIT_SECONDS = 2.0  # how long a new listener waits for the subscriber thread to be subscribed

# Seeding a new version counter with the clock (ms) keeps versions from repeating after Redis or the
# process lost them, so an ETag a browser holds from before can never match different seats.
_PUBLISH = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[2]) end
local v = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', KEYS[2], '{"v":' .. tostring(v) .. ',"changes":' .. ARGV[1] .. '}')
return v
"""


class LiveUnavailable(RuntimeError):
    """Redis is configured but cannot be subscribed to now: the page polls instead."""


def trip_channel(trip_id: int) -> str:
    return f"trip:{int(trip_id)}"


def event_channel(event_id: int) -> str:
    return f"event:{int(event_id)}"


def can_watch_trip(trip_id: int) -> bool:
    from models.rail import Trip

    return db.session.scalar(sa.select(Trip.id).where(Trip.id == trip_id)) is not None


def can_watch_event(event_id: int) -> bool:
    """Customers watch the events they may see (never a draft)."""
    from models.events import Event
    from services.events.sales import VISIBLE_STATUSES

    return db.session.scalar(sa.select(Event.id).where(Event.id == event_id,
                                                       Event.status.in_(VISIBLE_STATUSES))) is not None


def _seed() -> int:
    return time.time_ns() // 1_000_000


_last_unknown = 0


def _unknown_version() -> int:
    """A number no version had before and none will repeat: the clock, strictly increasing."""
    global _last_unknown
    with _local_lock:
        _last_unknown = max(_seed(), _last_unknown + 1)
        return _last_unknown


def _key(channel: str) -> str:
    return f"{current_app.config['REDIS_KEY_PREFIX']}live:{require_tenant().slug}:{channel}"


# --- listeners (shared by both backends) -----------------------------------------------------------

_CLOSED = object()  # put in a listener's queue to end its stream (the subscriber lost Redis)


class _Listener:
    def __init__(self, key: str):
        self.key = key
        self.queue: queue.Queue = queue.Queue(maxsize=LISTENER_BACKLOG)

    def offer(self, item) -> None:
        try:
            self.queue.put_nowait(item)
        except queue.Full:  # this viewer stopped reading: end its stream, its browser reconnects and catches up
            _listeners.remove(self)
            with self.queue.mutex:
                self.queue.queue.clear()
            self.queue.put_nowait(_CLOSED)


class _Listeners:
    """Queues of the viewers in this process, by Redis-style key (tenant and channel)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_key: dict[str, set[_Listener]] = defaultdict(set)

    def add(self, key: str) -> _Listener:
        listener = _Listener(key)
        with self._lock:
            self._by_key[key].add(listener)
        return listener

    def remove(self, listener: _Listener) -> None:
        with self._lock:
            found = self._by_key.get(listener.key)
            if found is not None:
                found.discard(listener)
                if not found:
                    del self._by_key[listener.key]

    def send(self, key: str, message: dict) -> None:
        with self._lock:
            targets = list(self._by_key.get(key, ()))
        for listener in targets:
            listener.offer(message)

    def close_all(self, prefix: str) -> None:
        with self._lock:
            keys = [k for k in self._by_key if k.startswith(prefix)]
            targets = [listener for k in keys for listener in self._by_key.pop(k)]
        for listener in targets:
            listener.offer(_CLOSED)

    def count(self, key: str) -> int:
        with self._lock:
            return len(self._by_key.get(key, ()))


_listeners = _Listeners()


class Subscription:
    """An open subscription: iterate for messages (None on a heartbeat tick), `close()` when done.
    Subscribed from the moment it exists, so nothing published after `listen()` returns is missed."""

    def __init__(self, listener: _Listener, heartbeat: float):
        self._listener, self._heartbeat = listener, heartbeat
        self.closed = False

    def __iter__(self) -> Iterator[dict | None]:
        return self

    def __next__(self) -> dict | None:
        if self.closed:
            raise StopIteration
        try:
            item = self._listener.queue.get(timeout=self._heartbeat)
        except queue.Empty:
            return None
        if item is _CLOSED:
            self.close()
            raise StopIteration
        return item

    def close(self) -> None:
        self.closed = True
        _listeners.remove(self._listener)


# --- Redis: one subscriber thread per process -----------------------------------------------------

class _Subscriber:
    """PSUBSCRIBE `<prefix>live:*` on its own connection, in a daemon thread; reconnects by itself.
    Whenever it (re)subscribes, streams open until then are ended: messages may have been lost in
    between, and a reconnecting browser is told the current version and catches up."""

    def __init__(self, url: str, prefix: str):
        self.url, self.prefix = url, prefix
        self.pid = os.getpid()  # a forked child starts its own
        self.subscribed = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"jatra-live {prefix}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        backoff = 0.5
        while True:
            pubsub = None
            try:
                client = redis.Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=10,
                                              health_check_interval=10)
                pubsub = client.pubsub()
                pubsub.psubscribe(f"{self.prefix}*")
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "psubscribe":
                        _listeners.close_all(self.prefix)
                        self.subscribed.set()
                        backoff = 0.5
                    elif message["type"] == "pmessage":
                        self._dispatch(message["channel"], message["data"])
            except (redis.RedisError, OSError) as exc:
                if self.subscribed.is_set():
                    log.warning("live updates: lost the Redis subscription (%s); reconnecting", exc)
            except Exception:  # never let the thread die: live updates would stop for the process's life
                log.exception("live updates: subscriber failed; restarting it")
            finally:
                self.subscribed.clear()
                _listeners.close_all(self.prefix)
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # closing a broken connection may fail too
                        pass
            time.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    @staticmethod
    def _dispatch(channel: bytes, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("live updates: ignored a message that is not JSON on %r", channel)
            return
        _listeners.send(channel.decode(), message)


_subscribers: dict[tuple[str, str], _Subscriber] = {}
_subscribers_lock = threading.Lock()


def _subscriber(url: str, prefix: str) -> _Subscriber:
    with _subscribers_lock:
        found = _subscribers.get((url, prefix))
        if found is None or found.pid != os.getpid():
            found = _subscribers[(url, prefix)] = _Subscriber(url, prefix)
        return found


# --- in-process broker (no Redis) -------------------------------------------------------------------

_local_versions: dict[str, int] = {}
_local_lock = threading.Lock()


def _publish_locally(key: str, changes: list[dict]) -> None:
    with _local_lock:  # under the lock: versions reach listeners in order
        v = _local_versions[key] = _local_versions.get(key, _seed()) + 1
        _listeners.send(key, {"v": v, "changes": changes})


_scripts: dict[int, object] = {}


def _publish_script(client: redis.Redis):
    """The publish script, sent once per client and then run by its hash (EVALSHA)."""
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_PUBLISH)
    return script


# --- the interface services and views use -----------------------------------------------------------

def publish(channel: str, changes: list[dict]) -> None:
    """Tell the channel's viewers what changed (call after the commit). Never raises."""
    try:
        key = _key(channel)
        client = redis_client()
        if client is None:
            _publish_locally(key, list(changes))
            return
        payload = json.dumps(changes, separators=(",", ":"))
        _publish_script(client)(keys=[f"{key}:v", key], args=[payload, _seed(), VERSION_TTL_SECONDS])
    except redis.RedisError as exc:
        log.warning("live updates: could not publish on %s (%s)", channel, exc)
    except Exception:  # the seats are committed; a failed notice must not turn that into an error
        log.exception("live updates: could not publish on %s", channel)


def version(channel: str) -> int:
    """The channel's version now (never 0 once asked, and never repeating). Read it BEFORE reading
    the seats it describes: a change committed in between then arrives as a newer version.
    Redis unreachable: a fresh number on every call, so no poll is ever told "not modified" wrongly."""
    key = _key(channel)
    client = redis_client()
    if client is None:
        with _local_lock:
            return _local_versions.setdefault(key, _seed())
    try:
        found = client.get(f"{key}:v")
        if found is None:
            pipe = client.pipeline()
            pipe.set(f"{key}:v", _seed(), nx=True, ex=VERSION_TTL_SECONDS)
            pipe.get(f"{key}:v")
            found = pipe.execute()[1]
        return int(found)
    except redis.RedisError as exc:
        log.warning("live updates: version of %s unknown (%s)", channel, exc)
        return _unknown_version()


def listen(channel: str, heartbeat: float = 15) -> Subscription:
    """Subscribe to a channel of the bound tenant: iterate the result for each message as it comes,
    or None when nothing came for `heartbeat` seconds. Holds no database connection; needs no app
    context once made (a streaming response iterates it after the request's context is gone).
    Raises LiveUnavailable when Redis is configured and cannot be subscribed to."""
    key = _key(channel)
    url = current_app.config.get("REDIS_URL")
    if redis_client() is not None:
        subscriber = _subscriber(url, f"{current_app.config['REDIS_KEY_PREFIX']}live:")
        if not subscriber.subscribed.wait(CONNECT_WAIT_SECONDS):
            raise LiveUnavailable("live updates are unavailable (Redis cannot be subscribed to)")
    return Subscription(_listeners.add(key), heartbeat)


def listener_count(channel: str) -> int:
    """How many viewers of the bound tenant's channel this process streams to (tests, benchmarks)."""
    return _listeners.count(_key(channel))
