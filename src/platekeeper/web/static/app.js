// Small behaviours of the pages, attached by data attributes (the CSP forbids inline script).
(function () {
  "use strict";

  // <form data-confirm="question"> asks before submitting.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    }
  }, true);
})();
