// The validation queue's "select all" box and the count of ticked rows. A static file:
// the Content-Security-Policy forbids inline scripts. Without JavaScript each row's own
// box still works; the "select all" box stays hidden.
(function () {
  "use strict";
  var form = document.querySelector("[data-queue]");
  var all = form && form.querySelector("[data-select-all]");
  if (!all) {
    return;
  }
  var count = form.querySelector("[data-selected-count]");
  var boxes = Array.prototype.slice.call(form.querySelectorAll("input[type=checkbox][name=ids]:not(:disabled)"));
  var template = count ? count.getAttribute("data-template") || "" : "";

  function refresh() {
    var ticked = boxes.filter(function (box) {
      return box.checked;
    }).length;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
    if (count) {
      count.textContent = ticked ? template.replace("%s", String(ticked)) : "";
    }
  }

  all.hidden = false;
  all.disabled = boxes.length === 0;
  all.addEventListener("change", function () {
    boxes.forEach(function (box) {
      box.checked = all.checked;
    });
    refresh();
  });
  boxes.forEach(function (box) {
    box.addEventListener("change", refresh);
  });
  refresh();
})();
