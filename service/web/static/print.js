// The "print the card" button: shown only where JavaScript runs; printing works without it too.
"use strict";
document.querySelectorAll(".js-print").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
