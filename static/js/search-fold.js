// The train search form above results (templates/rail/search.html) is a <details> that arrives
// closed, so a phone shows a one-line summary, "Modify", and the first train. On a wide screen the
// form is simply open: rail.css shows it before this runs; this sets `open` so screen readers and
// the keyboard agree, and folds or unfolds it when the screen changes width (a phone turned).
(() => {
  const wide = window.matchMedia("(min-width: 601px)");
  const folds = () => document.querySelectorAll("details.search-fold");

  function openOnWideScreens() {
    if (wide.matches) folds().forEach((fold) => { fold.open = true; });
  }

  wide.addEventListener("change", () => folds().forEach((fold) => { fold.open = wide.matches; }));
  document.addEventListener("DOMContentLoaded", () => {
    openOnWideScreens();
    // htmx replaces the whole search (form and results) with each search: open the new one too.
    new MutationObserver(openOnWideScreens).observe(document.body, { childList: true, subtree: true });
  });
})();
