/* After a submit with errors, the summary of every error takes focus (a screen reader reads it; Tab goes on to
 * the links to the fields). A link in it moves the focus into its field. */
(function () {
  "use strict";
  var summary = document.querySelector("main > .error-summary");
  if (!summary) return;
  summary.focus();
  summary.addEventListener("click", function (e) {
    var link = e.target.closest("a[href^='#']");
    var field = link && document.getElementById(link.getAttribute("href").slice(1));
    if (field) { e.preventDefault(); field.focus(); field.scrollIntoView({ block: "center" }); }
  });
})();
