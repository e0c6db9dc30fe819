"""Live seat maps over server-sent events, and the version the polling fallback asks for.

    GET /live/trips/<id>            text/event-stream of one trip's seat changes
    GET /live/events/<id>           the same for an event (seats, ticket types, slots)
    GET /live/trips/<id>/version    {"v": n}, ETag "v<n>", 304 when If-None-Match has it
    GET /live/events/<id>/version

The stream: `retry: 2000`, then `event: version` with `{"v": n}` once subscribed (a browser that
rendered an older version reloads its map), then `event: seats` with `{"v": n, "changes": [...]}`
per change, and a `: ping` comment every heartbeat (it also finds viewers that left: writing to a
closed connection ends the stream). A stream ends after LIVE_STREAM_SECONDS; EventSource
reconnects by itself and is told the version again.

A stream holds no database connection: the request checks the trip or event and lets go of the
session before the first byte, and the body runs after Flask has torn the request down (no
`stream_with_context`), so the per-request hooks (tenant binding, login session touch, headers)
have all run and finished by then. Redis configured but unreachable: 503, and live.js polls.
"""
from __future__ import annotations

import json
import time

from flask import Blueprint, Response, abort, current_app, jsonify, request

from blueprints.limits import limiter
from models import db
from services import live

bp = Blueprint("live", __name__)
limiter.exempt(bp)  # a stream is one long request, and polling is one indexed read and one Redis GET

HEARTBEAT_SECONDS = 15
STREAM_SECONDS = 600
NO_STORE = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _stream(channel: str) -> Response:
    config = current_app.config
    try:
        subscription = live.listen(channel, heartbeat=config.get("LIVE_HEARTBEAT_SECONDS", HEARTBEAT_SECONDS))
    except live.LiveUnavailable:
        # Not for people: EventSource gives up on a 503 and live.js polls instead.
        return Response("", 503, mimetype="text/plain", headers={**NO_STORE, "Retry-After": "30"})
    current = live.version(channel)  # after subscribing: nothing published from here on is missed
    db.session.remove()  # the stream may last minutes: give the connection back now
    ends_at = time.monotonic() + config.get("LIVE_STREAM_SECONDS", STREAM_SECONDS)

    def body():
        yield "retry: 2000\n" + _sse("version", {"v": current})
        for message in subscription:
            yield ": ping\n\n" if message is None else _sse("seats", message)
            if time.monotonic() > ends_at:  # threads are not held for ever; the browser reconnects
                return

    response = Response(body(), mimetype="text/event-stream", headers=NO_STORE)
    response.call_on_close(subscription.close)  # also when the body never started
    return response


def _version(channel: str, watchable) -> Response:
    if not watchable():  # first: no version is kept for channels nobody may watch
        abort(404)
    current = live.version(channel)
    response = Response(status=304) if request.if_none_match.contains(f"v{current}") else jsonify(v=current)
    response.set_etag(f"v{current}")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/live/trips/<int:trip_id>")
def trip_stream(trip_id: int):
    if not live.can_watch_trip(trip_id):
        abort(404)
    return _stream(live.trip_channel(trip_id))


@bp.get("/live/events/<int:event_id>")
def event_stream(event_id: int):
    if not live.can_watch_event(event_id):
        abort(404)
    return _stream(live.event_channel(event_id))


@bp.get("/live/trips/<int:trip_id>/version")
def trip_version(trip_id: int):
    return _version(live.trip_channel(trip_id), lambda: live.can_watch_trip(trip_id))


@bp.get("/live/events/<int:event_id>/version")
def event_version(event_id: int):
    return _version(live.event_channel(event_id), lambda: live.can_watch_event(event_id))
