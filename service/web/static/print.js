// The "print the card" button: shown, with its list item, only where JavaScript runs;
// without it the list holds no empty item, and the browser's own print still works.
"use strict";
document.querySelectorAll(".js-print").forEach(function (button) {
  var item = button.closest(".js-print-item");
  if (item) { item.hidden = false; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
