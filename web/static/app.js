// kgsearch: progressive enhancement only — every page works without this file.
(function () {
  "use strict";
  // the sort applies on change (the Search button still submits without JavaScript)
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form.requestSubmit) { select.form.requestSubmit(); } else { select.form.submit(); }
    });
  });
  // wide screens: the filters stand open beside the results; phones keep them folded
  var filters = document.getElementById("filters");
  if (filters && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 761px)");
    var sync = function () { filters.open = wide.matches; };
    sync();
    if (wide.addEventListener) { wide.addEventListener("change", sync); }
  }
})();
