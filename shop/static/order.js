// Refresh the order's status until the payment provider's webhook has settled it.
(function () {
  "use strict";
  var box = document.querySelector("[data-testid=order]");
  if (!box || box.getAttribute("data-status") !== "pending") { return; }
  var id = box.getAttribute("data-order");
  function poll() {
    fetch("/orders/" + encodeURIComponent(id) + "/status", {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (order) {
        if (order.status !== "pending") { window.location.reload(); return; }
        setTimeout(poll, 700);
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 700);
})();
