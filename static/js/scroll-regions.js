// Keyboard access to what scrolls sideways (a wide table on a phone, the calendar's grid):
// an element that overflows and holds nothing focusable gets tabindex="0", so a keyboard
// user can focus it and scroll it with the arrow keys (WCAG 2.1.1; axe-core's rule
// scrollable-region-focusable). Checked again when the width changes; the attribute is
// taken away when the element no longer scrolls. A static file: the Content-Security-Policy
// forbids inline scripts.
(function () {
  "use strict";
  var CANDIDATES = "main table, main .scroll, main .table-scroll, main pre";
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

  function scrolls(element) {
    var overflow = window.getComputedStyle(element).overflowX;
    return (overflow === "auto" || overflow === "scroll") && element.scrollWidth > element.clientWidth;
  }

  function update() {
    document.querySelectorAll(CANDIDATES).forEach(function (element) {
      var added = element.hasAttribute("data-scroll-focus");
      if (scrolls(element)) {
        if (!added && !element.hasAttribute("tabindex") && !element.querySelector(FOCUSABLE)) {
          element.setAttribute("tabindex", "0");
          element.setAttribute("data-scroll-focus", "");
        }
      } else if (added) {
        element.removeAttribute("tabindex");
        element.removeAttribute("data-scroll-focus");
      }
    });
  }

  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(update, 150);
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
})();
