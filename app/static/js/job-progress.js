// Polls a job's JSON while it runs and updates the <progress> bar; reloads when it ends.
// Markup: <div data-progress-url="/api/v1/..."> <progress></progress> <span data-progress-message></span>
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var message = box.querySelector("[data-progress-message]");
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        if (bar) { bar.value = data.progress; bar.textContent = Math.round(data.progress * 100) + "%"; }
        if (message && data.message) { message.textContent = data.message; }
        if (data.status === "done" || data.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
