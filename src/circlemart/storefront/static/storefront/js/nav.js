// The header loads the unread badge once (htmx); the phone tab bar's messages tab shows a copy,
// so one request feeds both.
(function () {
  "use strict";
  function mirror(source) {
    var badge = source.querySelector(".badge");
    document.querySelectorAll("[data-badge-mirror]").forEach(function (slot) {
      slot.textContent = "";
      if (badge) {
        var copy = badge.cloneNode(true);
        copy.setAttribute("data-testid", "tab-unread-badge");
        slot.appendChild(copy);
      }
    });
  }
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.hasAttribute && target.hasAttribute("data-badge-source")) {
      mirror(target);
    }
  });
})();
