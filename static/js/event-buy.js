/* The event page's buy block (#buy, templates/events/_buy.html), on top of htmx. Without this script
 * everything still works as forms (− and + post and the page comes back with the number changed).
 * - − / + change a ticket type's number here: from none to the least one may order, down from the
 *   least to none, up to data-most (the order limit within what is left plus what one holds) and,
 *   on a timed event, all types together up to the slot's data-room;
 * - the Buy bar's summary (how many, what it costs) follows the numbers or the chosen seats;
 * - seats: at most data-seat-limit chosen; each section of the plan is one tab stop, arrow keys move;
 * - what was chosen here is put back when live.js swaps in a fresher block ("jatra:live-swapped");
 * - "jatra:buy-changed" (from event-live.js, detail.taken = seat names) re-counts and tells the customer.
 */
(() => {
  "use strict";
  let memory = null; // {poll, qty: {type id: value}, seats: [seat ids]} chosen here, not yet held

  const block = () => document.getElementById("buy");
  const seatInputs = (root) => [...root.querySelectorAll(".pseat input[name=seat]")];
  const qtyBoxes = (root) => [...root.querySelectorAll(".qty")];
  const numberOf = (box) => Math.max(0, parseInt(box.querySelector("input").value, 10) || 0);
  const cents = (text) => Math.round(parseFloat(text || "0") * 100);
  const seatName = (label) => `${label.closest(".plan-section").querySelector("legend").textContent} `
    + `${label.closest(".plan-row").querySelector(".row-label").textContent}${label.querySelector(".pseat-mark").textContent}`;

  function counted(el, n) {
    return ((n === 1 ? el.dataset.one : el.dataset.other) || String(n)).replace("{n}", n);
  }

  function money(root, totalCents) {
    // Lakh grouping and Latin digits, as the server writes money in both languages (blueprints/web.py)
    const number = new Intl.NumberFormat("en-IN", { minimumFractionDigits: 2, maximumFractionDigits: 2 })
      .format(totalCents / 100);
    return (root.dataset.moneySample || "0").replace(/[0-9০-৯][0-9০-৯.,]*/, number);
  }

  function say(root, text) {
    const note = root.querySelector("[data-live-note]");
    if (!note) return;
    note.hidden = !text;
    note.textContent = "";
    setTimeout(() => { note.textContent = text; }, 30); // a fresh text, so it is announced again
  }

  // --- quantities -----------------------------------------------------------------------------------

  function most(root, box) {
    let limit = Number(box.dataset.most);
    const form = box.closest("form");
    if (form?.dataset.room) {
      const others = qtyBoxes(root).filter((b) => b !== box).reduce((sum, b) => sum + numberOf(b), 0);
      limit = Math.min(limit, Number(form.dataset.room) - others);
    }
    return Math.max(limit, 0);
  }

  function step(button) {
    const root = block(), box = button.closest(".qty");
    const min = Number(box.dataset.min), now = numberOf(box), limit = most(root, box);
    let wanted = button.value.endsWith("+1") ? (now < min ? min : now + 1) : (now <= min ? 0 : now - 1);
    if (wanted > limit) wanted = now > limit ? limit : now; // not that many left
    box.querySelector("input").value = wanted;
    changed(root);
  }

  // --- seats ----------------------------------------------------------------------------------------

  function onSeatChange(input) {
    const root = block(), form = input.form;
    const limit = Number(form.dataset.seatLimit || 0);
    if (input.checked && limit && seatInputs(root).filter((i) => i.checked).length > limit) {
      input.checked = false;
      say(root, form.dataset.tooMany || "");
    }
    changed(root);
  }

  function rove(root, current) {
    for (const section of root.querySelectorAll(".plan-section")) {
      const inputs = [...section.querySelectorAll("input[name=seat]")];
      const usable = inputs.filter((i) => !i.disabled);
      const active = (current && usable.includes(current) && current) || usable.find((i) => i === document.activeElement)
        || usable.find((i) => i.tabIndex === 0) || usable.find((i) => i.checked) || usable[0];
      inputs.forEach((i) => { i.tabIndex = i === active ? 0 : -1; });
    }
  }

  function neighbour(input, key) {
    const row = input.closest(".plan-row"), section = input.closest(".plan-section");
    const usable = (r) => [...r.querySelectorAll("input[name=seat]")].filter((i) => !i.disabled);
    const inRow = usable(row), at = inRow.indexOf(input);
    if (key === "ArrowRight") return inRow[at + 1];
    if (key === "ArrowLeft") return inRow[at - 1];
    if (key === "Home") return inRow[0];
    if (key === "End") return inRow[inRow.length - 1];
    const rows = [...section.querySelectorAll(".plan-row")];
    const place = [...row.querySelectorAll("input[name=seat]")].indexOf(input);
    const order = key === "ArrowDown" ? rows.slice(rows.indexOf(row) + 1) : rows.slice(0, rows.indexOf(row)).reverse();
    for (const next of order) {
      const all = [...next.querySelectorAll("input[name=seat]")];
      const best = all.map((i, n) => [i, Math.abs(n - place)]).filter(([i]) => !i.disabled)
        .sort((a, b) => a[1] - b[1])[0];
      if (best) return best[0];
    }
    return null;
  }

  function onKey(event) {
    const input = event.target;
    if (!input.matches?.(".pseat input[name=seat]")) return;
    if (!["ArrowRight", "ArrowLeft", "ArrowUp", "ArrowDown", "Home", "End"].includes(event.key)) return;
    event.preventDefault();
    const target = neighbour(input, event.key);
    if (!target) return;
    rove(block(), target);
    target.focus();
  }

  // --- the summary and the buttons ------------------------------------------------------------------

  function update(root) {
    const count = root.querySelector("[data-summary-count]"), total = root.querySelector("[data-summary-total]");
    let n = 0, sum = 0;
    const seats = seatInputs(root).filter((i) => i.checked && !i.disabled);
    if (root.querySelector("#seat-form")) {
      n = seats.length;
      const price = (cat) => root.querySelector(`[data-free-cat="${cat}"]`)?.dataset.price;
      sum = seats.reduce((s, i) => s + cents(price(i.closest(".pseat").dataset.cat)), 0);
    } else {
      for (const box of qtyBoxes(root)) {
        const k = numberOf(box);
        n += k;
        sum += k * cents(box.dataset.price);
        const [less, more] = box.querySelectorAll(".qty-step");
        const input = box.querySelector("input");
        if (!input.disabled) {
          less.disabled = k === 0;
          more.disabled = (k < Number(box.dataset.min) ? Number(box.dataset.min) : k + 1) > most(root, box);
        }
      }
    }
    if (count) count.textContent = counted(count, n);
    if (total) total.textContent = money(root, sum);
  }

  function remember(root) {
    memory = {
      poll: root.dataset.livePoll,
      qty: Object.fromEntries(qtyBoxes(root).map((b) => [b.dataset.typeId, b.querySelector("input").value])),
      seats: seatInputs(root).filter((i) => i.checked).map((i) => i.value),
    };
  }

  function changed(root) {
    update(root);
    remember(root);
  }

  // live.js put a fresher block in: choose again what was chosen here, name seats taken meanwhile.
  function restore(root) {
    if (!memory || memory.poll !== root.dataset.livePoll) return changed(root);
    for (const box of qtyBoxes(root)) {
      const kept = memory.qty[box.dataset.typeId], input = box.querySelector("input");
      if (kept != null && !input.disabled) input.value = kept;
    }
    const form = root.querySelector("#seat-form"), lost = [];
    for (const input of seatInputs(root)) {
      if (!memory.seats.includes(input.value)) continue;
      if (!input.disabled) input.checked = true;
      else if (input.closest(".pseat").dataset.state !== "mine") lost.push(seatName(input.closest(".pseat")));
    }
    if (lost.length && form) say(root, lost.map((s) => form.dataset.taken.replace("{seat}", s)).join(" "));
    rove(root);
    changed(root);
  }

  function init() {
    const root = block();
    if (!root) return;
    rove(root);
    changed(root);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("#buy .qty-step");
    if (!button || button.disabled) return;
    event.preventDefault(); // the number changes here; no need to ask the server
    step(button);
  });
  document.addEventListener("input", (event) => {
    if (event.target.closest?.("#buy .qty")) changed(block());
  });
  document.addEventListener("change", (event) => {
    if (event.target.matches?.("#buy .pseat input[name=seat]")) onSeatChange(event.target);
  });
  document.addEventListener("keydown", onKey);
  document.addEventListener("focusin", (event) => {
    if (event.target.matches?.("#buy .pseat input[name=seat]")) rove(block(), event.target);
  });
  document.addEventListener("jatra:live-swapped", (event) => { if (event.target.id === "buy") restore(event.target); });
  document.addEventListener("jatra:buy-changed", (event) => {
    const root = event.target, form = root.querySelector("#seat-form"), taken = event.detail?.taken || [];
    if (taken.length && form) say(root, taken.map((s) => form.dataset.taken.replace("{seat}", s)).join(" "));
    rove(root);
    changed(root);
  });
  document.addEventListener("htmx:after:settle", init); // our own hold or release: the server's numbers
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
