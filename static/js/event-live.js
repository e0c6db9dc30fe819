/* Live changes on an event page's buy block (#buy), as static/js/live.js dispatches them ("jatra:live",
 * detail = {v, changes}). A change is one of
 *   {seat: plan seat id, state: "held" | "sold" | "blocked" | "free", tag}  -> the seat's state; "mine"
 *        when tag is this customer's hold's (#buy data-hold-tag). A plan seat has at most one claim,
 *        so "free" simply frees it. A seat ticked here and taken by someone else is unticked and named.
 *   {ticket_type: id, left: n}  -> "n left" of the ticket type, and how many its + may reach
 *   {slot: id, left: n}         -> "n places left" of the slot's tile; a tile turns unavailable at 0 and
 *                                  back into a link when places come free
 * Then "jatra:buy-changed" (detail.taken: seat names) goes to event-buy.js for the summary and words.
 * When the hold's countdown runs out ("jatra:expired" from countdown.js) the block is fetched again.
 */
(() => {
  "use strict";
  let holding = false; // a hold of ours is on its way: its answer says what became of the ticked seats

  // "Centre A10": the section's name, the row's letter and the seat's number, as the server names seats
  const seatName = (label) => `${label.closest(".plan-section").querySelector("legend").textContent} `
    + `${label.closest(".plan-row").querySelector(".row-label").textContent}${label.querySelector(".pseat-mark").textContent}`;
  const counted = (el, n) => ((n === 1 ? el.dataset.one : el.dataset.other) || String(n)).replace("{n}", n);

  function seat(root, change, taken) {
    const label = root.querySelector(`.pseat[data-seat-id="${Number(change.seat)}"]`);
    if (!label || label.hasAttribute("data-fixed")) return; // another event's, or taken out by the operator
    const mine = change.state === "held" && Boolean(change.tag) && change.tag === root.dataset.holdTag;
    const state = mine ? "mine" : String(change.state);
    const input = label.querySelector("input");
    if (input.checked && state !== "free") {
      if (holding) return; // perhaps our own hold: the block it brings back is newer than this
      input.checked = false;
      taken.push(seatName(label));
    }
    label.dataset.state = state;
    input.disabled = state !== "free";
    const words = input.form?.dataset || {};
    const text = label.querySelector(".pseat-state");
    if (text) text.textContent = words["state" + state.charAt(0).toUpperCase() + state.slice(1)] || state;
  }

  function ticketType(root, change) {
    if (change.left == null) return; // no limit of its own
    root.querySelectorAll(`[data-left-type="${Number(change.ticket_type)}"]`).forEach((el) => {
      el.textContent = counted(el, change.left);
    });
    const box = root.querySelector(`.qty[data-type-id="${Number(change.ticket_type)}"]`);
    if (box) box.dataset.most = Math.min(Number(box.dataset.orderMax), change.left + Number(box.dataset.mine));
  }

  function slot(root, change) {
    const id = Number(change.slot), left = Number(change.left);
    let tile = root.querySelector(`[data-slot-id="${id}"]`);
    if (tile) {
      const chosen = tile.classList.contains("chosen");
      if (tile.tagName === "A" && left <= 0 && !chosen) tile = retag(tile, "span");
      else if (tile.tagName === "SPAN" && left > 0 && tile.dataset.href) tile = retag(tile, "a");
      tile.classList.toggle("sale-sold_out", left <= 0);
      tile.classList.toggle("sale-on_sale", left > 0);
      const count = tile.querySelector("[data-left-slot]");
      if (count) count.textContent = left > 0 ? counted(count, left) : count.dataset.none;
    }
    const form = root.querySelector("#qty-form");
    if (form && Number(form.dataset.slot) === id) {
      const mine = [...form.querySelectorAll(".qty")].reduce((sum, b) => sum + Number(b.dataset.mine), 0);
      form.dataset.room = left + mine;
    }
  }

  // A full slot is not a link (nothing to choose); one with places again is, with its htmx attributes.
  function retag(tile, tag) {
    const fresh = document.createElement(tag);
    for (const { name, value } of tile.attributes) {
      if (!name.startsWith("hx-") && !["href", "aria-disabled", "data-htmx-powered"].includes(name)) {
        fresh.setAttribute(name, value);
      }
    }
    fresh.append(...tile.childNodes);
    if (tag === "a") {
      const url = tile.dataset.href;
      Object.entries({ href: url, "hx-get": url, "hx-target": "#buy", "hx-swap": "outerHTML", "hx-push-url": "true" })
        .forEach(([k, v]) => fresh.setAttribute(k, v));
    } else {
      fresh.setAttribute("aria-disabled", "true");
    }
    tile.replaceWith(fresh);
    if (tag === "a") window.htmx?.process(fresh);
    return fresh;
  }

  function recountCategories(root) {
    root.querySelectorAll("[data-free-cat]").forEach((el) => {
      const n = root.querySelectorAll(`.pseat[data-cat="${el.dataset.freeCat}"][data-state="free"]`).length;
      el.textContent = n > 0 ? counted(el, n) : el.dataset.none;
    });
  }

  document.addEventListener("jatra:live", (event) => {
    const root = event.target;
    if (root.id !== "buy") return;
    const taken = [];
    for (const change of event.detail?.changes || []) {
      if (change.seat != null) seat(root, change, taken);
      else if (change.ticket_type != null) ticketType(root, change);
      else if (change.slot != null) slot(root, change);
    }
    recountCategories(root);
    root.dispatchEvent(new CustomEvent("jatra:buy-changed", { bubbles: true, detail: { taken } }));
  });

  const ours = (event) => ["seat-form", "qty-form"].includes(event.target?.id);
  document.addEventListener("htmx:before:request", (event) => { if (ours(event)) holding = true; });
  document.addEventListener("htmx:finally:request", (event) => { if (ours(event)) holding = false; });

  let reloading = false; // the panel and the bar count down together: one reload for both
  document.addEventListener("jatra:expired", (event) => {
    const root = event.target.closest?.("#buy");
    if (!root?.dataset.livePoll || !window.htmx || reloading) return;
    reloading = true;
    setTimeout(() => { reloading = false; }, 1000);
    htmx.ajax("GET", root.dataset.livePoll, { target: "#buy", swap: "outerHTML" });
  });
})();
