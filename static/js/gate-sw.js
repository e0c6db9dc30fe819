/* The gate console's service worker, served as /staff/gate/sw.js with scope /staff/gate/ (see
 * blueprints/gate): a gate keeps working, and its page reloads, where the network comes and goes.
 *
 * Network first for the console's pages and fragments (/staff/gate/...) and the site's files (/static/...),
 * the cache when the network fails or hangs: what is shown is as fresh as the network allows. Successful
 * GET answers go into the cache on the way. Never cached: anything but GET, and /staff/gate/api/* (the
 * page keeps its offline data in IndexedDB itself; a cached scan answer would be a lie).
 *
 * The page was loaded before this worker existed, so it posts {type: "cache", urls: [...]}: the page's own
 * URL and its scripts, styles, manifest and icons, which the worker fetches into the cache.
 */
"use strict";

const CACHE = "jatra-gate-v1";
const HANG_MS = 4000; // a network that does not answer in this time is as good as none (when a copy exists)

function cacheable(url) {
  if (url.origin !== self.location.origin) return false;
  if (url.pathname.startsWith("/staff/gate/api/")) return false;
  return url.pathname.startsWith("/staff/gate/") || url.pathname.startsWith("/static/");
}

async function store(request, response) {
  // Only whole, same-origin answers: not a redirect to the login page, not an error page.
  if (!response.ok || response.type !== "basic" || response.redirected) return;
  const cache = await caches.open(CACHE);
  await cache.put(request, response);
}

async function networkFirst(event) {
  const request = event.request;
  // cloned as soon as it comes (this handler runs before the page reads the body)
  const network = fetch(request).then((response) => ({ response, copy: response.clone() }));
  event.waitUntil(network.then(({ copy }) => store(request, copy)).catch(() => {}));
  const cached = caches.open(CACHE).then((cache) => cache.match(request)).catch(() => undefined);
  // The network wins unless it fails, or hangs while a cached copy waits.
  const hung = new Promise((resolve) => setTimeout(resolve, HANG_MS))
    .then(async () => (await cached) || (await network).response);
  hung.catch(() => {}); // its failure is the network's, answered below
  try {
    return await Promise.race([network.then(({ response }) => response), hung]);
  } catch (err) {
    const copy = await cached;
    if (copy) return copy;
    throw err;
  }
}

async function precache(urls) {
  const cache = await caches.open(CACHE);
  await Promise.all(urls.map(async (href) => {
    let url;
    try { url = new URL(href, self.location.origin); } catch (err) { return; }
    if (!cacheable(url)) return;
    // Files under /static/ rarely change and a later fetch refreshes them anyway: fetch only the missing ones.
    if (url.pathname.startsWith("/static/") && (await cache.match(url.href))) return;
    try {
      const response = await fetch(url.href, { credentials: "same-origin", cache: "no-cache" });
      await store(new Request(url.href), response);
    } catch (err) {
      // offline already: the next visit tries again
    }
  }));
}

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    const old = names.filter((name) => name.startsWith("jatra-gate-") && name !== CACHE);
    await Promise.all(old.map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data?.type !== "cache" || !Array.isArray(event.data.urls)) return;
  event.waitUntil(precache(event.data.urls.slice(0, 50)));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // the browser's own way, untouched
  const url = new URL(request.url);
  if (!cacheable(url)) return;
  event.respondWith(networkFirst(event));
});
