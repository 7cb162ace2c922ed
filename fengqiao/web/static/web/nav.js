// The main menu folds behind a button on narrow screens; on wide screens it is always shown.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-nav-toggle]");
  var nav = document.getElementById("mainnav");
  if (!button || !nav) return;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
    var bar = button.closest(".topbar");
    if (bar) bar.classList.toggle("menu-open", open);
  });
});

// Panels marked data-fold-narrow (filters) start folded on a phone, open on a wide screen;
// one that holds a choice already made stays open.
document.addEventListener("DOMContentLoaded", function () {
  if (window.innerWidth >= 760) return;
  document.querySelectorAll("details[data-fold-narrow]").forEach(function (d) {
    if (!window.location.search) d.removeAttribute("open");
  });
});

// A <select data-autosubmit> (the language switch) submits its form when changed.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) select.form.submit();
    });
  });
});
