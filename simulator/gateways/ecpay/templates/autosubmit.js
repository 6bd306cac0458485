// Posts the page's result form to the merchant at once, as ECPay's cashier does; without
// JavaScript the form's button does the same.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector('form[data-autosubmit="1"]');
  if (form) form.submit();
});
