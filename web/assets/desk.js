// The web desk's own script: loaded from a file (the Content-Security-Policy
// allows no inline script). Asks before steps that cannot be undone, and
// sends the CSRF token with every request htmx makes.
document.addEventListener("submit", function (e) {
  var form = e.target;
  var question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { e.preventDefault(); }
});
document.addEventListener("htmx:configRequest", function (e) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { e.detail.headers["X-CSRF-Token"] = meta.getAttribute("content"); }
});
document.addEventListener("click", function (e) {
  var el = e.target.closest("[data-print]");
  if (el) { e.preventDefault(); window.print(); }
});
