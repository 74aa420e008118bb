// The strategy tree's "Tout déplier / Tout replier": opens or closes every <details>
// of the tree. A static file: the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";
  var tools = document.querySelector("[data-tree-tools]");
  var tree = document.querySelector("[data-tree]");
  if (!tools || !tree) {
    return;
  }
  tools.hidden = false;
  tools.addEventListener("click", function (event) {
    var button = event.target.closest("[data-tree-toggle]");
    if (!button) {
      return;
    }
    var open = button.getAttribute("data-tree-toggle") === "open";
    tree.querySelectorAll("details").forEach(function (node) {
      node.open = open;
    });
  });
})();
