/* Destructive actions ask first: a submit button (or form) with data-confirm="…" submits only after the
 * person says yes. Without JavaScript the form submits as before; the server never depends on this. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });
})();
