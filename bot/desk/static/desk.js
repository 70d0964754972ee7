// Consult Desk web desk: small behaviours on top of htmx. No inline scripts anywhere (CSP script-src 'self').
(function () {
  "use strict";

  // Ctrl+Enter (or Cmd+Enter) in a reply or note box submits its form.
  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && box.matches && box.matches("textarea[data-ctrl-enter]")) {
      event.preventDefault();
      if (box.form && box.value.trim()) { box.form.requestSubmit(); }
    }
  });

  // 常用语: picking a canned reply puts its text into the reply box, where it can still be edited.
  document.addEventListener("change", function (event) {
    var picker = event.target;
    if (!picker.matches || !picker.matches("select[data-canned]") || !picker.value) { return; }
    var box = document.getElementById(picker.getAttribute("data-target"));
    if (box) {
      box.value = box.value ? box.value + "\n" + picker.value : picker.value;
      box.focus();
    }
    picker.value = "";
  });

  // The inbox refreshes itself, but not while the clerk has ticked cases for a bulk action.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail && event.detail.elt;
    if (target && target.id === "rows" && target.querySelector("input[type=checkbox]:checked")) {
      event.preventDefault();
    }
  });

  function toBottom() {
    var chat = document.getElementById("conversation");
    if (chat) { chat.scrollTop = chat.scrollHeight; }
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail && event.detail.target && event.detail.target.id === "conversation") { toBottom(); }
  });
  document.addEventListener("DOMContentLoaded", toBottom);
})();
