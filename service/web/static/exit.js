// The quick-exit link: leave for the neutral site and put it in place of this page in the
// browser's history, so that "back" does not show this page again. Without JavaScript the
// link still leaves, as a plain link (this page then stays in the history).
"use strict";
document.querySelectorAll(".js-quick-exit").forEach(function (link) {
  link.addEventListener("click", function (event) {
    event.preventDefault();
    window.location.replace(link.href);
  });
});
