// Send the browser straight back to the merchant, as the gateway's own page does.
// Served as a file: the page's Content-Security-Policy allows no inline script.
document.querySelectorAll("form[data-auto-submit]").forEach((form) => form.submit());
