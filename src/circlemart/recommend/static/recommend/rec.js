// Recommended cards. The storefront's card partial is shared by every listing, so each served
// page carries its data after its cards: <template data-rec-page data-rec-data='{"list": id,
// "items": [[product, position, reason], ...]}'>. This adds ?rl=<list>&rp=<position> to each
// card's link (the product page records the click) and the reason under the title. Every
// fragment loads it, so it starts once and then follows htmx swaps.
(function () {
  "use strict";
  if (window.circlemartRecommend) { window.circlemartRecommend.scan(); return; }

  function decorateCard(card, list, position, reason) {
    card.setAttribute("data-rec-position", String(position));
    var link = card.querySelector("a[href]");
    if (!link) { return; }
    var url = new URL(link.getAttribute("href"), window.location.href);
    url.searchParams.set("rl", list);
    url.searchParams.set("rp", String(position));
    link.setAttribute("href", url.pathname + url.search);
    if (reason) {
      var line = document.createElement("small");
      line.className = "rec-reason";
      line.setAttribute("data-testid", "rec-reason");
      line.textContent = reason;
      link.appendChild(line);
    }
  }

  function decoratePage(marker) {
    marker.removeAttribute("data-rec-page");  // once only, whatever happens below
    var container = marker.parentElement;
    var page;
    try { page = JSON.parse(marker.getAttribute("data-rec-data") || "null"); } catch (error) { return; }
    if (!container || !page || !page.items) { return; }
    page.items.forEach(function (item) {
      // The earliest card of this product not yet claimed by an earlier page of the list.
      var cards = container.querySelectorAll(":scope > [data-track-product='" + Number(item[0]) + "']");
      for (var i = 0; i < cards.length; i++) {
        if (!cards[i].hasAttribute("data-rec-position")) {
          decorateCard(cards[i], page.list, item[1], item[2]);
          return;
        }
      }
    });
  }

  function scan() {
    document.querySelectorAll("template[data-rec-page]").forEach(decoratePage);
  }

  window.circlemartRecommend = { scan: scan };
  scan();
  document.addEventListener("htmx:load", scan);
})();
