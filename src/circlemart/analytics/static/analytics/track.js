// Circlemart's first-party tracker. Loaded (as an external file, so the CSP stays strict)
// only on pages of a browser that accepted tracking: the server leaves the <script> out
// otherwise, and the tracker checks the consent cookie again before it sends anything.
// Events are queued and flushed in batches to /api/v1/events: every few seconds with
// fetch(keepalive) and, when the page is hidden or left, with navigator.sendBeacon. A beacon's
// delivery is never confirmed, so what was sent while leaving is also kept in localStorage
// and sent again by the next page: the server drops the copies by event id (at least once,
// stored once). A fetch that fails or meets a 5xx/429 puts its events back in the queue.
(function () {
  "use strict";
  var script = document.currentScript;
  var endpoint = (script && script.getAttribute("data-endpoint")) || "/api/v1/events";
  var FLUSH_MS = 5000;
  var MAX_BATCH = 50;
  var PENDING_KEY = "cm_track_pending";
  var MAX_PENDING = 200;
  var queue = [];
  var shownAt = document.visibilityState === "visible" ? Date.now() : null;
  var visibleMs = 0;
  var dwellSent = false;

  // The server knows a signed-in user's answer from any device; here only a decline made in
  // this browser since the page loaded can still stop the tracker.
  function consented() {
    return !/(?:^|;\s*)cm_consent=0(?:;|$)/.test(document.cookie);
  }
  if (!consented()) { return; }

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function track(name, objectId, properties) {
    if (!consented()) { queue = []; return; }
    queue.push({
      event_id: uuid(),
      name: name,
      occurred_at: new Date().toISOString(),
      object_id: objectId == null ? "" : String(objectId),
      properties: properties || {}
    });
    if (queue.length >= MAX_BATCH) { flush(false); }
  }

  function pendingTake() {
    try {
      var stored = JSON.parse(localStorage.getItem(PENDING_KEY) || "[]");
      localStorage.removeItem(PENDING_KEY);
      return Array.isArray(stored) ? stored : [];
    } catch (error) { return []; }
  }
  function pendingKeep(events) {
    try {
      var stored = JSON.parse(localStorage.getItem(PENDING_KEY) || "[]");
      var all = (Array.isArray(stored) ? stored : []).concat(events).slice(-MAX_PENDING);
      localStorage.setItem(PENDING_KEY, JSON.stringify(all));
    } catch (error) { /* storage full or blocked: the beacon alone has to do */ }
  }
  function requeue(batch) {
    if (consented()) { queue = batch.concat(queue).slice(0, MAX_PENDING); }
  }

  function flush(leaving) {
    while (queue.length) {
      var batch = queue.splice(0, MAX_BATCH);
      var body = JSON.stringify({ events: batch });
      if (leaving) { pendingKeep(batch); }
      // A string body is sent as text/plain: no preflight, and the endpoint accepts it.
      if (leaving && navigator.sendBeacon && navigator.sendBeacon(endpoint, body)) { continue; }
      if (window.fetch) { post(batch, body); }
    }
  }
  function post(batch, body) {
    fetch(endpoint, {
      method: "POST", body: body, keepalive: true, credentials: "same-origin",
      headers: { "Content-Type": "text/plain;charset=UTF-8" }
    }).then(function (response) {
      if (response.status >= 500 || response.status === 429) { requeue(batch); }
    }).catch(function () { requeue(batch); /* analytics never breaks the page */ });
  }

  function path() { return location.pathname + location.search; }
  function text(value, limit) { return String(value || "").slice(0, limit || 500); }

  // What the previous page sent while leaving goes again (duplicates are dropped).
  queue = pendingTake();

  // --- page and product views ------------------------------------------------------------
  track("page_view", text(location.pathname, 64), {
    path: text(path()), title: text(document.title), referrer: text(document.referrer)
  });
  var productMarker = document.querySelector("[data-track-product-view]");
  var productId = productMarker ? productMarker.getAttribute("data-track-product-view") : "";
  if (productId) { track("product_view", productId, { path: text(path()) }); }

  // --- search ------------------------------------------------------------------------------
  var query = new URLSearchParams(location.search).get("q");
  if (query && location.pathname.indexOf("/search") === 0) {
    var count = document.querySelector("[data-testid=result-count]");
    var digits = count ? count.textContent.match(/\d+/) : null;
    var results = digits ? parseInt(digits[0], 10) : document.querySelectorAll("[data-track-product]").length;
    track("search", "", { query: text(query, 200), results: results });
  }

  // --- impressions and clicks of product cards -------------------------------------------
  function listName(card) {
    var list = card.closest("[data-track-list]");
    return text(list ? list.getAttribute("data-track-list") : location.pathname, 100);
  }
  function position(card) {
    var parent = card.parentElement;
    var cards = parent ? parent.querySelectorAll(":scope > [data-track-product]") : [];
    return Math.max(0, Array.prototype.indexOf.call(cards, card)) + 1;
  }
  var seen = new WeakSet();
  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      var card = entry.target;
      if (!entry.isIntersecting || seen.has(card)) { return; }
      seen.add(card);
      observer.unobserve(card);
      track("impression", card.getAttribute("data-track-product"), {
        list: listName(card), position: position(card)
      });
    });
  }, { threshold: 0.5 }) : null;
  function observeCards(root) {
    if (!observer) { return; }
    (root || document).querySelectorAll("[data-track-product]").forEach(function (card) {
      if (!seen.has(card)) { observer.observe(card); }
    });
  }
  observeCards(document);
  // Cards that arrive later (htmx "load more", filters) are observed too.
  document.body.addEventListener("htmx:afterSettle", function (event) { observeCards(event.target); });
  document.addEventListener("click", function (event) {
    var card = event.target.closest ? event.target.closest("[data-track-product]") : null;
    if (!card) { return; }
    track("click", card.getAttribute("data-track-product"), {
      list: listName(card), position: position(card)
    });
    flush(true); // the click usually navigates away
  }, true);

  // --- add to cart and share (htmx requests that succeeded) -------------------------------
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    var config = detail.requestConfig || {};
    if (!detail.successful || !config.path) { return; }
    if (config.path.indexOf("/cart/add/") === 0) {
      var form = detail.elt && detail.elt.closest ? detail.elt.closest("form") : null;
      var sku = form ? parseInt((form.querySelector("[name=sku_id]") || {}).value, 10) : NaN;
      var quantity = form ? parseInt((form.querySelector("[name=quantity]") || {}).value, 10) : NaN;
      var props = {};
      if (!isNaN(sku)) { props.sku = sku; }
      props.quantity = isNaN(quantity) ? 1 : quantity;
      track("add_to_cart", productId, props);
    } else {
      var shared = config.path.match(/^\/notes\/(\d+)\/share/);
      if (shared) { track("share", shared[1], { target: "note", channel: "link" }); }
    }
  });

  // --- dwell: time the page was visible, sent when it is left -------------------------------
  function pause() {
    if (shownAt !== null) { visibleMs += Date.now() - shownAt; shownAt = null; }
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      pause();
      flush(true);
    } else if (shownAt === null) {
      shownAt = Date.now();
    }
  });
  window.addEventListener("pagehide", function () {
    pause();
    if (!dwellSent) {
      dwellSent = true;
      track("dwell", text(location.pathname, 64), { path: text(path()), ms: Math.round(visibleMs) });
    }
    flush(true);
  });
  setInterval(function () { flush(false); }, FLUSH_MS);
  if (queue.length) { flush(false); }
  window.circlemartTrack = { track: track, flush: flush };
})();
