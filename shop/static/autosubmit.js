// Post the payment form to the gateway as soon as the page loads: ECPay and NewebPay take
// the order from the shopper's browser only. Once per trade, so coming back to this page
// does not post the same trade number twice (the Continue button still can).
(function () {
  "use strict";
  var form = document.getElementById("gateway-form");
  if (!form) { return; }
  var key = "paylab-posted-" + form.getAttribute("data-trade");
  try {
    if (window.sessionStorage.getItem(key)) { return; }
    window.sessionStorage.setItem(key, "1");
  } catch (e) { /* storage off: post anyway */ }
  form.submit();
})();
