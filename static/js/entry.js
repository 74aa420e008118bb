// The measurement entry form (strategy.forms.MeasurementForm). A static file: the
// Content-Security-Policy forbids inline scripts. Without it the form works the same;
// the server decides everything. It only:
// - moves the focus to the error summary, so that a screen reader reads it first;
// - shows the previous value of the series when the period, the organisation or the
//   breakdown changes, from the rows the page carries (json_script "entry-data").
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
  var form = document.querySelector("[data-entry-form]");
  var source = document.getElementById("entry-data");
  var shown = document.querySelector("[data-previous]");
  if (!form || !source || !shown) {
    return;
  }
  var data = JSON.parse(source.textContent) || {};
  var rows = data.previous || [];
  var none = shown.getAttribute("data-none") || "";
  var label = shown.getAttribute("data-label") || "";

  function read(name) {
    var field = form.elements[name];
    if (!field) {
      return "";
    }
    return field.value || "";
  }

  function update() {
    var period = read("period");
    var organisation = read("organisation") || shown.getAttribute("data-organisation") || "";
    var key = [organisation, read("region"), read("filiere"), read("sex"), read("actor_type")].join("|");
    var start = period.split("/")[0];
    var found = null;
    if (start) {
      for (var i = 0; i < rows.length; i += 1) {
        // Newest first: the first row of the series that ended before the period.
        if (rows[i].key === key && rows[i].end < start) {
          found = rows[i];
          break;
        }
      }
    }
    shown.textContent = "";
    if (found) {
      shown.appendChild(document.createTextNode(label + " : "));
      var value = document.createElement("bdi");
      value.setAttribute("data-previous-value", "");
      value.textContent = found.text;
      shown.appendChild(value);
    } else {
      var empty = document.createElement("span");
      empty.setAttribute("data-previous-value", "");
      empty.textContent = none;
      shown.appendChild(empty);
    }
  }

  ["period", "organisation", "region", "filiere", "sex", "actor_type"].forEach(function (name) {
    var field = form.elements[name];
    if (field && field.addEventListener) {
      field.addEventListener("change", update);
    }
  });
})();
