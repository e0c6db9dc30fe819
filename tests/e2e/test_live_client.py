"""static/js/live.js in Chromium, on a tenant page with a live element added by the test: a change
published on the server reaches the page as a "jatra:live" event within a second; a page rendered at
an older version reloads its element from data-live-poll; an element htmx swaps in takes over the
stream; a stream that cannot connect falls back to polling with If-None-Match."""
from __future__ import annotations

import time

from services import live
from services.rail import trips
from tests.support import rail as make

STOPS = [("DHK", None, "07:00", 0, 0), ("CTG", "12:00", None, 0, 321)]
CHANGE = {"seat": 5, "board": 0, "alight": 1, "state": "sold", "tag": None}

ADD_LIVE_ELEMENT = """([url, poll, version]) => {
  window.__live = [];
  window.__swapped = 0;
  document.addEventListener("jatra:live", (e) => window.__live.push({id: e.target.id, detail: e.detail}));
  document.addEventListener("jatra:live-swapped", () => { window.__swapped += 1; });
  const map = document.createElement("div");
  map.id = "map";
  Object.assign(map.dataset, {liveUrl: url, livePoll: poll, liveVersion: version});
  map.textContent = "rendered";
  document.body.append(map);
  const script = document.createElement("script");
  script.src = "/static/js/live.js";
  document.head.append(script);
}"""


def _fragment(url: str, poll: str, version: int, text: str, element_id: str = "map") -> str:
    return (f'<div id="{element_id}" data-live-url="{url}" data-live-poll="{poll}" '
            f'data-live-version="{version}">{text}</div>')


def _wait_for_listeners(in_tenant, tenant, channel: str, count: int) -> None:
    deadline = time.monotonic() + 5
    with in_tenant(tenant):
        while live.listener_count(channel) != count:
            assert time.monotonic() < deadline, f"expected {count} listener(s) on {channel}"
            time.sleep(0.05)


def test_changes_arrive_live_and_a_stale_page_or_a_swapped_element_catches_up(page, live_server, make_tenant,
                                                                               in_tenant):
    rail = make_tenant("rail", kind="rail")
    with in_tenant(rail):
        train = make.train(STOPS)
        make.generate([train.id], trips.local_today())
        trip_id = make.trip_of(train.id, trips.local_today()).id
        channel = live.trip_channel(trip_id)
        current = live.version(channel)
    url, poll = f"/live/trips/{trip_id}", "/test-only/seat-map-fragment"
    polls = []

    def fragment(route):
        polls.append(route.request.headers)
        route.fulfill(status=200, body=_fragment(url, poll, current, "fresh"), content_type="text/html",
                      headers={"ETag": '"e1"'})

    page.route(f"**{poll}", fragment)
    page.goto(live_server.url(rail))
    # Rendered one version ago: the stream's opening version tells live.js it missed a change.
    page.evaluate(ADD_LIVE_ELEMENT, [url, poll, str(current - 1)])
    page.wait_for_function("() => document.getElementById('map').textContent === 'fresh'", timeout=3000)
    assert polls[0]["hx-request"] == "true" and polls[0]["hx-request-type"] == "partial"
    assert page.evaluate("window.__swapped") == 1
    _wait_for_listeners(in_tenant, rail, channel, 1)

    with in_tenant(rail):
        started = time.monotonic()
        live.publish(channel, [CHANGE])
    page.wait_for_function("() => window.__live.length === 1", timeout=1000)
    assert time.monotonic() - started < 1.0
    assert page.evaluate("window.__live[0]") == {"id": "map", "detail": {"v": current + 1, "changes": [CHANGE]}}

    # htmx swaps in a new element for the same stream: it takes over the connection (still one viewer).
    page.evaluate("""([html]) => {
      const t = document.createElement("template");
      t.innerHTML = html;
      const fresh = t.content.firstElementChild;
      document.getElementById("map").replaceWith(fresh);
      htmx.process(fresh);
    }""", [_fragment(url, poll, current + 1, "swapped by htmx", "map2")])
    with in_tenant(rail):
        live.publish(channel, [{**CHANGE, "state": "free"}])
    page.wait_for_function("() => window.__live.length === 2", timeout=1000)
    assert page.evaluate("window.__live[1].id") == "map2"
    _wait_for_listeners(in_tenant, rail, channel, 1)


def test_a_stream_that_cannot_connect_falls_back_to_conditional_polling(page, live_server, make_tenant):
    rail = make_tenant("rail", kind="rail")
    url, poll = "/live/trips/999999", "/test-only/seat-map-fragment"  # no such trip: the stream is refused
    polls = []

    def fragment(route):
        polls.append(route.request.headers.get("if-none-match"))
        if route.request.headers.get("if-none-match") == '"e2"':
            route.fulfill(status=304, headers={"ETag": '"e2"'})
        else:
            route.fulfill(status=200, body=_fragment(url, poll, 2, f"poll {len(polls)}"), content_type="text/html",
                          headers={"ETag": '"e2"'})

    page.route(f"**{poll}", fragment)
    page.goto(live_server.url(rail))
    page.evaluate(ADD_LIVE_ELEMENT, [url, poll, "1"])
    page.wait_for_function("() => document.getElementById('map').textContent === 'poll 1'", timeout=3000)
    page.wait_for_timeout(4500)  # two more polls, answered 304: nothing is replaced
    assert polls[0] is None and polls[1:] and set(polls[1:]) == {'"e2"'}
    assert page.evaluate("document.getElementById('map').textContent") == "poll 1"
    assert page.evaluate("window.__swapped") == 1
