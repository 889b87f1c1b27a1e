/* The residents' search on a phone: the map first, the filters in a panel over it ("Filter"), the list one tap
 * away. Without JavaScript the form simply stands above the map. After a search the page lands on the count of
 * results (#treffer), which takes focus so a screen reader reads it; a search with errors opens the panel and
 * focuses the summary of every error. */
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var toggle = document.querySelector(".filter-toggle");
  if (!form || !toggle) return;
  var close = form.querySelector(".close-filters");
  var phone = window.matchMedia("(max-width: 899px)");
  document.documentElement.classList.add("js-finder");
  toggle.hidden = false;
  if (close) close.hidden = false;

  function open() {
    form.classList.add("open");
    toggle.setAttribute("aria-expanded", "true");
    var summary = form.querySelector(".error-summary");
    var first = summary || form.querySelector("input:not([type=hidden]), select");
    if (first) first.focus();
  }
  function shut() {
    form.classList.remove("open");
    toggle.setAttribute("aria-expanded", "false");
    toggle.focus();
  }
  toggle.addEventListener("click", function () { if (form.classList.contains("open")) shut(); else open(); });
  if (close) close.addEventListener("click", shut);
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && form.classList.contains("open")) shut();
  });

  var summary = form.querySelector(".error-summary");
  if (summary) {
    if (phone.matches) open(); else summary.focus();
  } else if (window.location.hash === "#treffer") {
    var bar = document.getElementById("treffer");
    if (bar) bar.focus({ preventScroll: true });
  }
})();
