// Hosted result pages post the gateway's result form to the merchant's URL at once, as the
// gateway's own pages do; without scripts the form's button does the same.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-autopost]");
  for (var i = 0; i < forms.length; i++) { forms[i].submit(); }
})();
