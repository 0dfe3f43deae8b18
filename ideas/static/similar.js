// While a resident types an idea, show the most similar published ideas (progressive
// enhancement: without JavaScript the «check similar ideas» button does the same on the server).
(function () {
  "use strict";
  var form = document.getElementById("idea-form");
  var box = document.getElementById("similar");
  var results = document.getElementById("similar-results");
  if (!form || !box || !results || !window.fetch) { return; }
  var title = form.querySelector("[name=title]");
  var body = form.querySelector("[name=body]");
  var url = form.getAttribute("data-similar-url");
  var ideaUrl = form.getAttribute("data-idea-url").replace(/0$/, "");
  var timer = null;
  var lastText = "";
  var controller = null;

  function render(items) {
    results.textContent = "";
    if (!items.length) {
      var empty = document.createElement("p");
      empty.textContent = box.getAttribute("data-empty");
      results.appendChild(empty);
      return;
    }
    var list = document.createElement("ul");
    list.className = "list-unstyled similar-list";
    items.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "mb-2";
      var link = document.createElement("a");
      link.href = ideaUrl + item.id;
      link.textContent = item.title;  // text, never HTML: titles are user input
      var meta = document.createElement("span");
      meta.className = "small text-body-secondary";
      meta.textContent = " " + box.getAttribute("data-supports") + ": " + item.support_count +
        " · " + box.getAttribute("data-similarity") + ": " + Math.round(item.score * 100) + "%";
      li.appendChild(link);
      li.appendChild(meta);
      list.appendChild(li);
    });
    results.appendChild(list);
  }

  function lookup() {
    var text = (title.value + "\n" + body.value).trim();
    if (text.length < 5 || text === lastText) { return; }
    lastText = text;
    if (controller) { controller.abort(); }
    controller = new AbortController();
    fetch(url + "?limit=5&text=" + encodeURIComponent(text.slice(0, 2000)), {
      signal: controller.signal,
      headers: { "Accept": "application/json" }
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { render(data.items || []); } })
      .catch(function () { /* aborted or offline: keep the last list */ });
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(lookup, 350);
  }

  title.addEventListener("input", schedule);
  body.addEventListener("input", schedule);
}());
