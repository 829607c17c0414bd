// Start Swagger UI on the OpenAPI document named by the page (no inline script: CSP).
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("reference");
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: false,
    tryItOutEnabled: false,
    validatorUrl: null,
  });
});
