/* Live seat maps: keeps every element with data-live-url up to date, by server-sent events, or by
 * polling while the stream is down. Load it on the pages that need it: <script src=".../js/live.js" defer>.
 *
 * Markup (attributes of the element that shows the seats):
 *   data-live-url="/live/trips/42"        the event stream (blueprints/live.py)
 *   data-live-poll="/trips/42/seats?..."  a URL answering with this element's new outerHTML and an
 *                                          ETag, or 304 to If-None-Match (asked with HX-Request:
 *                                          true and HX-Request-Type: partial, so render(block=...))
 *   data-live-version="1783000000001"     live.version(channel) read BEFORE the seats were read
 *   data-live-etag='"v1783000000001-..."' the ETag this very HTML was served with (optional)
 * Events, dispatched on that element (they bubble):
 *   "jatra:live"         detail = {v, changes: [...]}: one change as services publish it; apply it.
 *   "jatra:live-swapped" after live.js replaced the element with fresher HTML from data-live-poll
 *                        (on the new element; re-apply any selection the page keeps in script).
 * live.js replaces the element itself (outerHTML, then htmx.process) whenever it polled fresh HTML:
 * while polling, when the stream reports a version newer than the page's (it reconnected after
 * missing something), or when a message skips a version. Messages at or below the page's version
 * are already in it and are not dispatched.
 *
 * Why hand-coded EventSource, not the vendored hx-sse extension: the extension swaps unnamed
 * messages as HTML and re-dispatches named ones as bare DOM events; its reconnect policy (backoff
 * up to a minute) has no polling fallback; and once loaded it adds text/event-stream to the Accept
 * header of every htmx request on the page. EventSource reconnects by itself (retry: 2000) and is
 * all this needs.
 */
(() => {
  "use strict";
  const FALLBACK_AFTER_MS = 3000, POLL_EVERY_MS = 2000, RETRY_STREAM_MS = 30000, SWEEP_MS = 5000;
  const states = new Map(); // element -> state

  const versionOf = (el) => (el.dataset.liveVersion ? Number(el.dataset.liveVersion) : null);

  function bind(el) {
    if (states.has(el)) return;
    // An element htmx just swapped in for one with the same stream takes over its connection.
    let state = [...states.values()].find((s) => !s.el.isConnected && s.url === el.dataset.liveUrl);
    if (state) {
      states.delete(state.el);
      adopt(state, el);
    } else {
      state = { url: el.dataset.liveUrl, es: null, up: false, pollTimer: null, downTimer: null, retryTimer: null,
                fetching: false };
      adopt(state, el);
      connect(state);
    }
  }

  function adopt(state, el) {
    state.el = el;
    state.v = versionOf(el);
    state.etag = el.dataset.liveEtag || state.etag || null;
    states.set(el, state);
  }

  function connect(state) {
    const es = (state.es = new EventSource(state.url));
    es.addEventListener("open", () => {
      state.up = true;
      clearTimeout(state.downTimer);
      state.downTimer = null;
      clearInterval(state.pollTimer);
      state.pollTimer = null;
    });
    es.addEventListener("version", (e) => {
      const v = parse(e.data)?.v;
      if (v == null) return;
      if (state.v != null && v > state.v) refresh(state); // changed while we were not listening
      state.v = Math.max(v, state.v ?? v);
    });
    es.addEventListener("seats", (e) => {
      const msg = parse(e.data);
      if (!msg || (state.v != null && msg.v <= state.v)) return;
      const missed = state.v != null && msg.v > state.v + 1;
      state.v = msg.v;
      if (missed) refresh(state);
      else state.el.dispatchEvent(new CustomEvent("jatra:live", { detail: msg, bubbles: true }));
    });
    es.addEventListener("error", () => {
      state.up = false;
      if (es.readyState === EventSource.CLOSED) fallBack(state); // refused (404, 503): the browser gave up
      else if (!state.downTimer) {
        state.downTimer = setTimeout(() => { state.downTimer = null; if (!state.up) fallBack(state); },
                                     FALLBACK_AFTER_MS);
      }
    });
  }

  function fallBack(state) {
    state.es?.close();
    state.es = null;
    if (!state.pollTimer) {
      refresh(state); // the stream may have dropped a change: look now, then every POLL_EVERY_MS
      state.pollTimer = setInterval(() => refresh(state), POLL_EVERY_MS);
    }
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(() => { state.retryTimer = null; if (states.has(state.el)) connect(state); },
                                  RETRY_STREAM_MS);
  }

  async function refresh(state) {
    const poll = state.el.dataset.livePoll;
    if (!poll || state.fetching) return;
    state.fetching = true;
    try {
      const headers = { "HX-Request": "true", "HX-Request-Type": "partial" };
      if (state.etag) headers["If-None-Match"] = state.etag;
      // no-store: our own If-None-Match, and a 304 must reach us (not become the browser's cached 200)
      const response = await fetch(poll, { headers, cache: "no-store" });
      if (response.status !== 200) return; // 304: nothing changed; anything else: try again later
      const html = await response.text();
      state.etag = response.headers.get("ETag") || state.etag;
      swapIn(state, html);
    } catch (err) {
      // offline for a moment: the next tick tries again
    } finally {
      state.fetching = false;
    }
  }

  function swapIn(state, html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    const fresh = template.content.firstElementChild;
    if (!fresh || !state.el.isConnected) return;
    const old = state.el;
    old.replaceWith(fresh);
    states.delete(old);
    adopt(state, fresh);
    window.htmx?.process(fresh);
    fresh.dispatchEvent(new CustomEvent("jatra:live-swapped", { bubbles: true }));
  }

  function close(state) {
    state.es?.close();
    clearInterval(state.pollTimer);
    clearTimeout(state.downTimer);
    clearTimeout(state.retryTimer);
    states.delete(state.el);
  }

  function parse(text) {
    try { return JSON.parse(text); } catch (err) { return null; }
  }

  function scan(root) {
    if (!root || root.nodeType !== Node.ELEMENT_NODE) return;
    if (root.matches("[data-live-url]")) bind(root);
    root.querySelectorAll("[data-live-url]").forEach(bind);
  }

  // Streams of elements that left the page (and were not replaced) are closed.
  setInterval(() => { for (const state of [...states.values()]) if (!state.el.isConnected) close(state); }, SWEEP_MS);
  document.addEventListener("htmx:after:process", (e) => scan(e.target)); // htmx 4: new content is processed
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => scan(document.body));
  else scan(document.body);
})();
