// Client-side checks of the hosted card form. The server repeats every check; this only
// gives faster, friendlier messages and stops a second submit while one is in flight.
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form) { return; }
  var number = document.getElementById("cardnumber");
  var expiry = document.getElementById("expiry");
  var cvc = document.getElementById("cvc");
  var name = document.getElementById("name");
  var pay = document.getElementById("pay");

  function digits(value) { return value.replace(/\D/g, ""); }
  function luhn(value) {
    var sum = 0;
    for (var i = 0; i < value.length; i++) {
      var d = +value[value.length - 1 - i];
      if (i % 2) { d *= 2; if (d > 9) { d -= 9; } }
      sum += d;
    }
    return sum % 10 === 0;
  }
  function say(input, message) {
    var slot = document.getElementById(input.id + "-error");
    slot.textContent = message || "";
    input.setAttribute("aria-invalid", message ? "true" : "false");
    return !message;
  }
  function checkNumber() {
    var d = digits(number.value);
    if (d.length < 12) { return say(number, "Your card number is incomplete."); }
    if (d.length > 19 || !luhn(d)) { return say(number, "Your card number is invalid."); }
    return say(number, "");
  }
  function checkExpiry() {
    var m = expiry.value.match(/^\s*(\d{1,2})\s*\/?\s*(\d{2}|\d{4})\s*$/);
    if (!m) { return say(expiry, "Your card's expiration date is incomplete."); }
    var month = +m[1], year = +m[2];
    if (year < 100) { year += 2000; }
    if (month < 1 || month > 12) { return say(expiry, "Your card's expiration date is invalid."); }
    var now = new Date();
    if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
      return say(expiry, "Your card's expiration year is in the past.");
    }
    return say(expiry, "");
  }
  function checkCvc() {
    return say(cvc, /^\d{3,4}$/.test(cvc.value.trim()) ? "" : "Your card's security code is incomplete.");
  }
  function checkName() {
    return say(name, name.value.trim() ? "" : "Enter the name on your card.");
  }

  number.addEventListener("input", function () {
    var d = digits(number.value).slice(0, 19);
    number.value = d.replace(/(\d{4})(?=\d)/g, "$1 ");
  });
  expiry.addEventListener("input", function () {
    var d = digits(expiry.value).slice(0, 4);
    expiry.value = d.length > 2 ? d.slice(0, 2) + " / " + d.slice(2) : d;
  });
  number.addEventListener("blur", checkNumber);
  expiry.addEventListener("blur", checkExpiry);
  cvc.addEventListener("blur", checkCvc);
  name.addEventListener("blur", checkName);

  var sent = false;
  form.addEventListener("submit", function (event) {
    var ok = [checkNumber(), checkExpiry(), checkCvc(), checkName()].every(Boolean);
    if (!ok || sent) { event.preventDefault(); return; }
    sent = true;  // a second click while the first is in flight does nothing
    pay.setAttribute("aria-busy", "true");
    pay.classList.add("busy");
  });
})();
