/* The menu on small screens (templates/base.html): the account links and the navigation
   fold behind a "Menu" button. Without this script both stay shown, as on a wide screen.
   Loaded in <head> so the page never paints the open menu first. */
(function () {
  "use strict";
  document.documentElement.classList.add("js-menu");
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector("[data-menu-toggle]");
    var header = button && button.closest("header.site");
    if (!header) {
      return;
    }
    button.hidden = false;
    function set(open) {
      header.classList.toggle("menu-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      set(button.getAttribute("aria-expanded") !== "true");
    });
    header.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("menu-open")) {
        set(false);
        button.focus();
      }
    });
  });
})();
