/* Countdowns of holds. Markup: an element with
 *   data-expires-at="2026-06-01T08:05:00+00:00"  when the hold ends (from the server)
 *   data-server-now="2026-06-01T08:00:00+00:00"  the server's clock when it rendered (a phone whose clock
 *                                                is wrong still counts the right time)
 *   data-expired-text="Time is up"                shown at zero (optional)
 * and inside it a [data-countdown] element, which shows the time left as m:ss, every second.
 * At zero the element gets data-expired and a bubbling "jatra:expired" event is dispatched on it:
 * the page decides what to do (the event page reloads its buy block). Elements htmx or live.js
 * swap in are picked up on the next tick.
 */
(() => {
  "use strict";
  const offsets = new WeakMap(); // element -> server clock minus this clock, in ms, when first seen

  function tick() {
    for (const el of document.querySelectorAll("[data-expires-at]")) {
      const ends = Date.parse(el.dataset.expiresAt);
      const out = el.querySelector("[data-countdown]");
      if (Number.isNaN(ends) || !out) continue;
      if (!offsets.has(el)) {
        const server = Date.parse(el.dataset.serverNow || "");
        offsets.set(el, Number.isNaN(server) ? 0 : server - Date.now());
      }
      const seconds = Math.max(0, Math.ceil((ends - Date.now() - offsets.get(el)) / 1000));
      out.textContent = seconds > 0 || !el.dataset.expiredText
        ? `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}` : el.dataset.expiredText;
      el.classList.toggle("ending", seconds <= 60);
      if (seconds === 0 && !el.hasAttribute("data-expired")) {
        el.setAttribute("data-expired", "");
        el.dispatchEvent(new CustomEvent("jatra:expired", { bubbles: true }));
      }
    }
  }

  setInterval(tick, 1000);
  document.addEventListener("htmx:after:settle", tick);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", tick);
  else tick();
})();
