/* Checkout: choosing a saved passenger fills that seat's name, age and gender (the server does the
 * same when the fields are left empty, so this only saves typing). */
(() => {
  "use strict";
  document.addEventListener("change", (event) => {
    const select = event.target;
    if (!select.name || !select.name.startsWith("saved-")) return;
    const seat = select.name.slice("saved-".length);
    const saved = document.querySelector(`[data-saved-passenger="${CSS.escape(select.value)}"]`);
    if (!saved) return;
    const set = (name, value) => {
      const input = document.querySelector(`[name="${name}-${seat}"]`);
      if (input && value !== "") input.value = value;
    };
    set("name", saved.dataset.name);
    set("age", saved.dataset.age);
    set("gender", saved.dataset.gender);
  });
})();

/* When the hold's countdown reaches zero, show the page again: it then says the hold has ended
 * (paying for seats no longer held would only end in a refund). */
document.addEventListener("jatra:expired", (event) => {
  if (event.target.closest(".hold-countdown")) window.location.reload();
});
