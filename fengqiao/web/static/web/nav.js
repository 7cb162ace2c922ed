// The main menu folds behind a button on narrow screens; on wide screens it is always shown.
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-nav-toggle]");
  var nav = document.getElementById("mainnav");
  if (!button || !nav) return;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  });
});
