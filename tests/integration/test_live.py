"""Live seat maps: publish -> listen on real Redis and in process (no Redis), versions, tenant
scoping, Redis down, and the SSE and version endpoints through the test client and a real server."""
from __future__ import annotations

import http.client
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from models import db
from models.base import utcnow
from models.sessions import LoginSession
from services import live, tenant_db
from services.rail import trips
from tests.conftest import _make_app
from tests.support import events as make_events
from tests.support import rail as make
from tests.support.people import login_customer, make_customer
from tests.support.servers import free_port

STOPS = [("DHK", None, "07:00", 0, 0), ("CTG", "12:00", None, 0, 321)]
CHANGE = {"seat": 7, "board": 0, "alight": 1, "state": "held", "tag": "abc123"}


@pytest.fixture
def rail(make_tenant):
    info = make_tenant("rail", kind="rail")
    yield info
    tenant_db.dispose_engine(info.slug)


@pytest.fixture
def trip_id(rail, in_tenant):
    with in_tenant(rail):
        train = make.train(STOPS)
        make.generate([train.id], trips.local_today())
        return make.trip_of(train.id, trips.local_today()).id


@pytest.fixture
def app_without_redis(platform_db_url, tmp_path):
    return _make_app(platform_db_url, None, tmp_path, WTF_CSRF_ENABLED=False)


def _next(subscription, seconds=5.0):
    """The next message (skipping heartbeats), or fail after `seconds`: never hangs."""
    deadline = time.monotonic() + seconds
    for message in subscription:
        if message is not None:
            return message
        assert time.monotonic() < deadline, "no message within the timeout"
    raise AssertionError("the subscription ended")


def _round_trip(in_tenant, tenant):
    with in_tenant(tenant):
        before = live.version("trip:1")
        subscription = live.listen("trip:1", heartbeat=0.1)
        live.publish("trip:1", [CHANGE])
        live.publish("trip:1", [{"ticket_type": 3, "left": 9}])
        first, second = _next(subscription), _next(subscription)
        after = live.version("trip:1")
        subscription.close()
    assert first == {"v": before + 1, "changes": [CHANGE]}
    assert second == {"v": before + 2, "changes": [{"ticket_type": 3, "left": 9}]}
    assert after == before + 2


def test_publish_reaches_a_listener_through_redis_with_growing_versions(rail, in_tenant):
    _round_trip(in_tenant, rail)


def test_publish_reaches_a_listener_in_process_without_redis(app_without_redis, make_tenant):
    from services.tenant_db import tenant_context

    info = make_tenant("rail", kind="rail")

    class InTenant:  # in_tenant, but on the app without Redis
        def __init__(self, tenant):
            self.tenant = tenant

        def __enter__(self):
            self.ctx = app_without_redis.app_context()
            self.ctx.push()
            self.bound = tenant_context(self.tenant)
            return self.bound.__enter__()

        def __exit__(self, *exc):
            self.bound.__exit__(*exc)
            self.ctx.pop()

    with app_without_redis.app_context():
        assert live.redis_client() is None
    _round_trip(InTenant, info)


def test_a_listener_hears_only_its_own_tenant_and_channel(make_tenant, in_tenant):
    zoo, fort = make_tenant("zoo"), make_tenant("fort")
    with in_tenant(zoo):
        subscription = live.listen("event:1", heartbeat=0.1)
    with in_tenant(fort):
        live.publish("event:1", [{"slot": 1, "left": 0}])  # same channel name, another tenant
    with in_tenant(zoo):
        live.publish("event:2", [{"slot": 2, "left": 0}])  # same tenant, another channel
        live.publish("event:1", [{"slot": 1, "left": 5}])
    assert _next(subscription)["changes"] == [{"slot": 1, "left": 5}]
    subscription.close()


def test_redis_down_publish_does_not_raise_version_never_repeats_and_the_stream_says_poll(
        platform_db_url, tmp_path, rail, trip_id, caplog):
    from services.tenant_db import tenant_context

    down = _make_app(platform_db_url, f"redis://127.0.0.1:{free_port()}/0", tmp_path)
    channel = live.trip_channel(trip_id)
    with down.app_context(), tenant_context(rail):
        live.publish(channel, [CHANGE])  # logs, does not raise
        first, second = live.version(channel), live.version(channel)
        with pytest.raises(live.LiveUnavailable):
            live.listen(channel)
    assert "could not publish" in caplog.text
    assert first > 0 and second > first  # a fresh number each time: no poll is told "not modified"

    client = down.test_client()
    client.host = f"{rail.slug}.localhost"
    assert client.get(f"/live/trips/{trip_id}").status_code == 503  # live.js falls back to polling
    version = client.get(f"/live/trips/{trip_id}/version")
    again = client.get(f"/live/trips/{trip_id}/version", headers={"If-None-Match": version.headers["ETag"]})
    assert version.status_code == 200 and again.status_code == 200


def _sse_events(chunks) -> list[tuple[str, str]]:
    """(event, data) pairs from the text of an event stream."""
    found = []
    for block in "".join(chunks).split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            found.append((fields["event"], fields["data"]))
    return found


def test_the_stream_sends_the_version_then_each_published_change(app, rail, trip_id, client_for, in_tenant,
                                                                  monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 0.2)
    response = client_for(rail).get(f"/live/trips/{trip_id}", buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache" and response.headers["X-Accel-Buffering"] == "no"
    assert "Content-Security-Policy" in response.headers  # the usual hooks ran
    body = iter(response.response)
    opening = next(body).decode()
    assert opening.startswith("retry: 2000\n")
    with in_tenant(rail):
        current = live.version(live.trip_channel(trip_id))
        live.publish(live.trip_channel(trip_id), [CHANGE])
    chunks = [opening]
    while not any(e == "seats" for e, _ in _sse_events(chunks)):
        chunks.append(next(body).decode())
    response.close()
    assert _sse_events(chunks) == [("version", f'{{"v":{current}}}'),
                                   ("seats", f'{{"v":{current + 1},"changes":[{{"seat":7,"board":0,"alight":1,'
                                             f'"state":"held","tag":"abc123"}}]}}')]
    with in_tenant(rail):
        assert live.listener_count(live.trip_channel(trip_id)) == 0  # closing the response unsubscribed


def test_streams_and_versions_of_unknown_trips_and_draft_events_are_404(rail, make_tenant, in_tenant, client_for):
    zoo = make_tenant("zoo")
    with in_tenant(zoo):
        draft = make_events.make_event(status="draft")
        published = make_events.make_event(status="published")
    assert client_for(rail).get("/live/trips/999999").status_code == 404
    assert client_for(rail).get("/live/trips/999999/version").status_code == 404
    assert client_for(zoo).get(f"/live/events/{draft}").status_code == 404
    assert client_for(zoo).get(f"/live/events/{draft}/version").status_code == 404
    assert client_for(zoo).get(f"/live/events/{published}/version").status_code == 200


def test_the_version_endpoint_answers_304_until_something_changes(rail, trip_id, client_for, in_tenant):
    client = client_for(rail)
    first = client.get(f"/live/trips/{trip_id}/version")
    assert first.status_code == 200 and first.headers["ETag"] == f'"v{first.json["v"]}"'
    same = client.get(f"/live/trips/{trip_id}/version", headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304
    with in_tenant(rail):
        live.publish(live.trip_channel(trip_id), [CHANGE])
    changed = client.get(f"/live/trips/{trip_id}/version", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.json["v"] == first.json["v"] + 1


def test_a_real_server_streams_a_change_and_lets_go_of_a_viewer_who_left(app, rail, trip_id, in_tenant,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 0.2)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    channel = live.trip_channel(trip_id)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", f"/live/trips/{trip_id}", headers={"Host": f"{rail.slug}.localhost:{port}",
                                                              "Accept": "text/event-stream"})
        response = conn.getresponse()
        assert response.status == 200 and response.getheader("Content-Type").startswith("text/event-stream")
        assert response.readline() == b"retry: 2000\n"
        with in_tenant(rail):
            live.publish(channel, [CHANGE])
        lines = [response.readline() for _ in range(5)]  # version event, blank, seats event
        assert any(line.startswith(b"event: seats") for line in lines)
        conn.close()  # the viewer leaves: the next heartbeat fails to write and the stream ends
        deadline = time.monotonic() + 5
        with in_tenant(rail):
            while live.listener_count(channel) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert live.listener_count(channel) == 0
    finally:
        server.shutdown()


def test_a_logged_in_customer_due_a_session_touch_streams_too(app, rail, trip_id, client_for, in_tenant,
                                                               monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_HEARTBEAT_SECONDS", 0.2)
    _user, phone = make_customer(in_tenant, rail)
    client = client_for(rail)
    assert login_customer(client, phone).status_code in (302, 303)
    with in_tenant(rail):  # last used 10 minutes ago: this request notes the use and commits first
        db.session.execute(sa.update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=10)))
        db.session.commit()
    response = client.get(f"/live/trips/{trip_id}", buffered=False)
    assert response.status_code == 200 and next(iter(response.response)).startswith(b"retry: 2000\n")
    response.close()
    with in_tenant(rail):
        assert db.session.scalar(sa.select(LoginSession.last_seen_at)) > utcnow() - timedelta(minutes=1)
