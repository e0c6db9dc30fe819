/* The rail seat map (templates/booking/trip_seats.html), on top of htmx and static/js/live.js.
 *
 * The booking block (#booking) carries data-board / data-alight (the stretch looked at), data-words
 * (state names for aria-labels) and data-msg-* (messages, with {placeholders}); its #hold-panel carries
 * data-hold-tag (the tag of this customer's hold, "" if none) and data-limit (seats that may still be
 * chosen): a hold's answer swaps only the panel and the seats that changed. This script:
 * - applies live changes ("jatra:live" from live.js): a seat held/sold/blocked on an overlapping
 *   stretch turns taken (or "mine" when the tag is ours); if it was ticked here it is unticked and
 *   named. A seat coming free reloads the block (debounced): another claim may still cover it.
 * - keeps the customer's ticked seats through every reload of the block, and the limit;
 * - moves between seats with the arrow keys (one tab stop for the whole coach);
 * - counts the hold's time down from data-expires-at and reloads the block when it runs out;
 * - reloads the block when someone else's hold shown on it runs out (data-next-expiry): its seats
 *   are free from that moment, before any sweep tells the live stream;
 * - shows the "swipe sideways" hint when the coach is wider than the screen.
 */
(() => {
  "use strict";
  const REFRESH_DEBOUNCE_MS = 300, EXPIRED_RETRY_MS = 2000;
  const STATES = ["free", "held", "sold", "blocked", "mine"];
  let chosen = new Set(); // seat ids ticked here and not yet held
  let holding = false; // a Hold is on its way: its answer tells what became of the ticked seats
  let refreshTimer = null, countdownTimer = null, expiredRetries = 0;
  let focusedSeat = null; // id of the seat last focused, to keep focus when live.js swaps the block

  const block = () => document.getElementById("booking");
  const panel = (root) => root.querySelector("#hold-panel")?.dataset || {};
  const seatInputs = (root) => [...root.querySelectorAll(".coach-grid input[name=seat]")];
  const fill = (text, values) => (text || "").replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

  function words(root) {
    try { return JSON.parse(root.dataset.words || "{}"); } catch (err) { return {}; }
  }

  function say(root, text) {
    const status = root.querySelector("[data-seat-status]");
    if (!status) return;
    status.textContent = "";
    status.classList.toggle("has-text", Boolean(text));
    // a new text node each time, so a screen reader announces a repeated message too
    setTimeout(() => { status.textContent = text; }, 30);
  }

  function setState(root, input, state) {
    const label = input.closest(".seat");
    STATES.forEach((s) => label.classList.remove("seat-" + s));
    label.classList.add("seat-" + state);
    input.disabled = state !== "free";
    const text = input.dataset.name + ", " + (words(root)[state] || state);
    input.setAttribute("aria-label", text);
    label.title = text;
  }

  function overlaps(root, change) {
    return change.board < Number(root.dataset.alight) && change.alight > Number(root.dataset.board);
  }

  function onLive(event) {
    const root = block();
    if (!root || event.target !== root) return;
    const taken = [];
    let freed = false;
    for (const change of event.detail?.changes || []) {
      if (change.seat == null || change.board == null || !overlaps(root, change)) continue; // not this stretch
      if (change.state === "free") { freed = true; continue; }
      const input = root.querySelector(`.coach-grid input[name=seat][value="${Number(change.seat)}"]`);
      if (!input) continue; // another coach
      const mine = Boolean(change.tag) && change.tag === panel(root).holdTag;
      if (input.checked && !mine) {
        if (holding) continue; // maybe our own new hold: the answer on its way says
        input.checked = false;
        chosen.delete(input.value);
        input.closest(".seat").classList.add("just-taken");
        taken.push(input.dataset.ticket);
      }
      setState(root, input, mine ? "mine" : change.state);
    }
    if (taken.length) say(root, fill(root.dataset.msgTaken, { seats: taken.join(", ") }));
    if (freed) refreshSoon();
    rove(root);
    count(root);
  }

  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, REFRESH_DEBOUNCE_MS);
  }

  function refresh() {
    const root = block();
    if (!root || !root.dataset.livePoll || !window.htmx) return;
    remember(root);
    htmx.ajax("GET", root.dataset.livePoll, { target: "#booking", swap: "outerHTML" }).catch(() => {});
  }

  function remember(root) {
    chosen = new Set(seatInputs(root).filter((i) => i.checked).map((i) => i.value));
  }

  // After any new block: tick again what was ticked (if still free), name what was taken meanwhile.
  function restore(root) {
    const lost = [];
    for (const input of seatInputs(root)) {
      if (!chosen.has(input.value)) continue;
      if (input.disabled) {
        if (!input.closest(".seat").classList.contains("seat-mine")) lost.push(input.dataset.ticket);
        chosen.delete(input.value);
      } else {
        input.checked = true;
      }
    }
    if (lost.length) say(root, fill(root.dataset.msgTaken, { seats: lost.join(", ") }));
    remember(root); // and what the server ticked (seats kept through a refused hold)
  }

  function count(root) {
    const out = root.querySelector("[data-seat-count]");
    if (!out) return;
    const n = seatInputs(root).filter((i) => i.checked).length;
    out.textContent = n ? fill(root.dataset.msgCount, { num: n, limit: panel(root).limit }) : "";
  }

  function onChange(event) {
    const input = event.target;
    if (!input.matches?.(".coach-grid input[name=seat]")) return;
    const root = block();
    const limit = Number(panel(root).limit);
    const ticked = seatInputs(root).filter((i) => i.checked).length;
    if (input.checked && ticked > limit) {
      input.checked = false;
      say(root, fill(root.dataset.msgLimit, { num: limit }));
    }
    input.closest(".seat").classList.remove("just-taken");
    remember(root);
    count(root);
  }

  // --- keyboard: the coach is one tab stop; arrow keys move like on the drawing -----------------------

  function rove(root, current) {
    const inputs = seatInputs(root).filter((i) => !i.disabled);
    if (!inputs.length) return;
    const active = current || inputs.find((i) => i === document.activeElement) ||
      inputs.find((i) => i.tabIndex === 0) || inputs.find((i) => i.checked) || inputs[0];
    seatInputs(root).forEach((i) => { i.tabIndex = i === active ? 0 : -1; });
  }

  function neighbour(inputs, from, key) {
    const r = Number(from.dataset.r), c = Number(from.dataset.c);
    const at = inputs.indexOf(from);
    if (key === "ArrowRight") return inputs[at + 1];
    if (key === "ArrowLeft") return inputs[at - 1];
    if (key === "Home") return inputs.find((i) => Number(i.dataset.r) === r);
    if (key === "End") return [...inputs].reverse().find((i) => Number(i.dataset.r) === r);
    const rows = [...new Set(inputs.map((i) => Number(i.dataset.r)))].sort((a, b) => a - b);
    const next = key === "ArrowDown" ? rows.find((x) => x > r) : [...rows].reverse().find((x) => x < r);
    if (next == null) return null;
    const inRow = inputs.filter((i) => Number(i.dataset.r) === next);
    return inRow.reduce((best, i) =>
      Math.abs(Number(i.dataset.c) - c) < Math.abs(Number(best.dataset.c) - c) ? i : best, inRow[0]);
  }

  function onKey(event) {
    const input = event.target;
    if (!input.matches?.(".coach-grid input[name=seat]")) return;
    if (!["ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown", "Home", "End"].includes(event.key)) return;
    const root = block();
    const target = neighbour(seatInputs(root).filter((i) => !i.disabled), input, event.key);
    event.preventDefault();
    if (!target) return;
    rove(root, target);
    target.focus();
  }

  // --- the hold's countdown ------------------------------------------------------------------------

  function countdown(root) {
    clearInterval(countdownTimer);
    const box = root.querySelector("[data-expires-at]");
    if (!box) { expiredRetries = 0; return; }
    const ends = Date.parse(box.dataset.expiresAt);
    const left = box.querySelector(".countdown-left");
    const out = box.querySelector("[data-countdown]");
    if (Number.isNaN(ends) || !left || !out) return;
    if (ends > Date.now()) expiredRetries = 0;
    left.hidden = false;
    let warned = false;
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
      out.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
      box.classList.toggle("ending", seconds <= 60);
      if (seconds <= 60 && seconds > 0 && !warned) { warned = true; say(root, root.dataset.msgMinute); }
      if (seconds > 0) return;
      clearInterval(countdownTimer);
      // The server may see a moment less time gone than this clock: ask again a few times.
      if (expiredRetries < 5) setTimeout(refresh, expiredRetries++ ? EXPIRED_RETRY_MS : 0);
    };
    tick();
    countdownTimer = setInterval(tick, 1000);
  }

  let expiryTimer = null;
  function othersExpire(root) {
    clearTimeout(expiryTimer);
    const at = Date.parse(root.dataset.nextExpiry || "");
    if (Number.isNaN(at)) return;
    // A moment after: the server must see the hold as over too (clocks differ by a little).
    expiryTimer = setTimeout(refresh, Math.max(0, at - Date.now()) + 400);
  }

  function scrollHint(root) {
    const box = root.querySelector(".coach-scroll"), hint = root.querySelector("[data-scroll-hint]");
    if (box && hint) hint.hidden = box.scrollWidth <= box.clientWidth + 1;
  }

  function init() {
    const root = block();
    if (!root || !root.querySelector) return;
    restore(root);
    rove(root);
    if (focusedSeat && (document.activeElement === document.body || !document.activeElement)) {
      document.getElementById(focusedSeat)?.focus();
    }
    count(root);
    countdown(root);
    othersExpire(root);
    scrollHint(root);
  }

  function isSeatForm(event) {
    return event.target?.id === "seat-form";
  }

  document.addEventListener("jatra:live", onLive);
  document.addEventListener("jatra:live-swapped", init);
  document.addEventListener("change", onChange);
  document.addEventListener("keydown", onKey);
  document.addEventListener("focusin", (e) => {
    focusedSeat = e.target.matches?.(".coach-grid input[name=seat]") ? e.target.id : null;
    if (focusedSeat) rove(block(), e.target);
  });
  document.addEventListener("htmx:before:request", (e) => {
    if (isSeatForm(e)) { holding = true; remember(block()); }
  });
  document.addEventListener("htmx:finally:request", (e) => { if (isSeatForm(e)) holding = false; });
  document.addEventListener("htmx:after:request", (e) => {
    // A hold that went through takes the ticked seats; one refused leaves what the answer still ticks.
    if (isSeatForm(e)) chosen = new Set();
  });
  document.addEventListener("htmx:after:settle", init);
  window.addEventListener("resize", () => { const root = block(); if (root) scrollHint(root); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
