// Keyboard shortcuts of the review page: C confirm, X reject, R focus the
// reason, N next violation, Esc back to the queue. Ignored while typing.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
    if (typing && event.key !== "Escape") { return; }
    var key = event.key.toLowerCase();
    if (key === "escape") {
      if (typing) { target.blur(); return; }
      window.location.href = "/review";
    } else if (key === "r") {
      var reason = document.querySelector("[data-review-reason]");
      if (reason) { event.preventDefault(); reason.focus(); }
    } else if (key === "n") {
      var next = document.querySelector("[data-review-next]");
      if (next) { window.location.href = next.getAttribute("href"); }
    } else {
      var button = document.querySelector("[data-review-key='" + key + "']");
      if (button) { event.preventDefault(); button.click(); }
    }
  });
})();
