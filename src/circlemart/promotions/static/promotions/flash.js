// Flash-sale countdowns: every [data-countdown-to] element (an ISO time) shows the time left
// and reloads its page section's state when it reaches zero. Loaded as a static file (CSP).
// Days read "13天 04:05:06" on Chinese pages and "13d 04:05:06" on English ones, as the
// server renders the first value (core.humanize.countdown).
(function () {
  "use strict";
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  var dayUnit = /^zh/i.test(document.documentElement.lang || "") ? "天 " : "d ";
  function render(el, now) {
    var target = Date.parse(el.getAttribute("data-countdown-to"));
    if (isNaN(target)) { return; }
    var left = Math.max(0, Math.floor((target - now) / 1000));
    var days = Math.floor(left / 86400);
    var text = (days > 0 ? days + dayUnit : "") + pad(Math.floor(left / 3600) % 24) + ":" +
      pad(Math.floor(left / 60) % 60) + ":" + pad(left % 60);
    if (el.textContent !== text) { el.textContent = text; }
    if (left === 0 && !el.hasAttribute("data-countdown-done")) {
      el.setAttribute("data-countdown-done", "");
      if (el.hasAttribute("data-countdown-reload")) { window.setTimeout(function () { window.location.reload(); }, 1000); }
    }
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown-to]").forEach(function (el) { render(el, now); });
  }
  tick();
  window.setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
})();
