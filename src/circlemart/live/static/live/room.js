// The viewer's live room: applies the websocket's frames (live.js) to the page — chat, likes,
// viewers, pinned product, coupon pop-up, flash deal, announcements, order toasts, state — and
// sends chat and batched likes. The product sheet is an htmx partial opened over the player.
(function () {
  "use strict";

  var LIKE_FLUSH_MS = 500;
  var LIKE_MAX_PER_FRAME = 50;
  var CHAT_KEEP = 120;
  var CATCH_UP_AGE_MS = 60000;  // replayed frames older than this pop nothing up

  function ready(fn) {
    if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", fn); } else { fn(); }
  }

  function fill(template, values) {
    return String(template || "").replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] === undefined || values[key] === null ? "" : String(values[key]);
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  ready(function () {
    var stage = document.querySelector("[data-live-room]");
    if (!stage) { return; }
    var stringsNode = document.getElementById("live-strings");
    var T = stringsNode ? JSON.parse(stringsNode.textContent) : {};
    var roomId = stage.getAttribute("data-room-id");
    var lang = document.documentElement.lang || "zh-hans";
    var currency = stage.getAttribute("data-currency") || "CNY";
    var loadedAt = Date.now();
    var chat = stage.querySelector("[data-chat]");
    var chatError = stage.querySelector("[data-chat-error]");
    var connection = stage.querySelector("[data-connection]");
    var sheet = stage.querySelector("[data-sheet]");
    var backdrop = stage.querySelector("[data-sheet-backdrop]");
    var csrf = (document.body.getAttribute("hx-headers") || "").match(/"X-CSRFToken":\s*"([^"]+)"/);
    csrf = csrf ? csrf[1] : "";
    var client = null;

    function money(minor) {
      try {
        return new Intl.NumberFormat(lang.indexOf("zh") === 0 ? "zh-CN" : "en", { style: "currency", currency: currency }).format(minor / 100);
      } catch (error) { return (minor / 100).toFixed(2); }
    }

    function isCatchUp(frame) {
      if (!frame.at) { return false; }
      var at = Date.parse(frame.at);
      return !isNaN(at) && loadedAt - at > CATCH_UP_AGE_MS;
    }

    // ---- chat ----
    function addChat(frame) {
      var data = frame.data || {};
      if (data.deleted) { return; }
      var user = data.user || {};
      var item = el("li", "live-chat-line");
      item.setAttribute("data-seq", frame.seq);
      item.setAttribute("data-testid", "live-chat-message");
      if (user.id) { item.setAttribute("data-user-id", user.id); }
      var name = el("span", "live-chat-name", (user.name || "") + "：");
      name.setAttribute("translate", "no");
      var text = el("span", "live-chat-text", data.text || "");
      text.setAttribute("translate", "no");
      if (data.masked) { item.classList.add("is-masked"); }
      item.appendChild(name);
      item.appendChild(text);
      appendLine(item);
    }

    function addNote(text, className) {
      var item = el("li", "live-chat-note " + (className || ""), text);
      appendLine(item);
    }

    function appendLine(item) {
      var nearBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 60;
      chat.appendChild(item);
      while (chat.children.length > CHAT_KEEP) { chat.removeChild(chat.firstChild); }
      if (nearBottom) { chat.scrollTop = chat.scrollHeight; }
    }

    function showError(message) {
      if (!chatError) { return; }
      chatError.textContent = message || "";
      chatError.hidden = !message;
      clearTimeout(showError.timer);
      if (message) { showError.timer = setTimeout(function () { chatError.hidden = true; }, 6000); }
    }

    // ---- counts ----
    var likeTotal = parseInt((stage.querySelector("[data-like-count]") || {}).textContent, 10) || 0;
    var likesPending = 0;
    var likesUnconfirmed = 0;
    var likeTimer = null;

    function showLikes() {
      stage.querySelectorAll("[data-like-count]").forEach(function (node) {
        node.textContent = String(likeTotal + likesUnconfirmed + likesPending);
      });
    }

    function flushLikes() {
      likeTimer = null;
      if (!likesPending || !client) { return; }
      var count = Math.min(likesPending, LIKE_MAX_PER_FRAME);
      if (client.send({ type: "like", count: count })) {
        likesPending -= count;
        likesUnconfirmed += count;
      }
      if (likesPending) { likeTimer = setTimeout(flushLikes, LIKE_FLUSH_MS); }
    }

    function heart() {
      var box = stage.querySelector("[data-hearts]");
      if (!box) { return; }
      var h = el("span", "live-heart", "♥");
      h.style.setProperty("--drift", (Math.random() * 40 - 20).toFixed(0) + "px");
      h.style.setProperty("--hue", String(Math.floor(Math.random() * 60) + 330));
      box.appendChild(h);
      setTimeout(function () { h.remove(); }, 1400);
    }

    var likeButton = stage.querySelector("[data-like]");
    if (likeButton) {
      likeButton.addEventListener("click", function () {
        if (stage.getAttribute("data-signed-in") !== "1") {
          window.location.href = stage.getAttribute("data-login-url");
          return;
        }
        likesPending += 1;
        heart();
        showLikes();
        if (!likeTimer) { likeTimer = setTimeout(flushLikes, LIKE_FLUSH_MS); }
      });
    }

    function setViewers(count) {
      stage.querySelectorAll("[data-viewers]").forEach(function (node) { node.textContent = String(count); });
    }

    // ---- pinned product ----
    function setPinned(card) {
      var slot = stage.querySelector("[data-pinned-slot]");
      stage.querySelectorAll(".live-product.is-pinned").forEach(function (n) { n.classList.remove("is-pinned"); });
      slot.textContent = "";
      if (!card) { return; }
      var row = stage.querySelector('.live-product[data-product-id="' + card.product_id + '"]');
      if (row) { row.classList.add("is-pinned"); }
      var button = el("button", "live-pinned");
      button.type = "button";
      button.setAttribute("data-buy", card.product_id);
      button.setAttribute("data-testid", "live-pinned");
      button.setAttribute("data-product-id", card.product_id);
      if (card.image_url) {
        var img = el("img");
        img.src = card.image_url; img.alt = ""; img.width = 56; img.height = 56;
        button.appendChild(img);
      }
      var body = el("span", "live-pinned-body");
      body.appendChild(el("span", "live-pinned-kicker", T.explaining));
      var title = el("span", "live-pinned-title", card.title);
      title.setAttribute("translate", "no");
      body.appendChild(title);
      var line = el("span", "live-pinned-row");
      line.appendChild(el("span", "price", card.price_display || money(card.price)));
      line.appendChild(el("span", "live-pinned-buy", T.buy));
      body.appendChild(line);
      button.appendChild(body);
      slot.appendChild(button);
    }

    // ---- coupon pop-up ----
    var couponBox = stage.querySelector("[data-coupon]");
    var currentCoupon = null;

    function showCoupon(coupon, claimed) {
      if (!couponBox || !coupon) { return; }
      currentCoupon = coupon;
      couponBox.querySelector("[data-coupon-amount]").textContent = fill(T.joined_coupon, { amount: money(coupon.amount) });
      couponBox.querySelector("[data-coupon-name]").textContent = coupon.name || "";
      couponBox.querySelector("[data-coupon-rule]").textContent = coupon.min_spend ? fill(T.min_spend, { amount: money(coupon.min_spend) }) : T.no_min_spend;
      var left = couponBox.querySelector("[data-coupon-left]");
      var soldOut = coupon.remaining === 0;
      left.textContent = coupon.remaining === null || coupon.remaining === undefined ? "" : (soldOut ? T.sold_out : fill(T.left, { count: coupon.remaining }));
      couponBox.querySelector("[data-coupon-result]").textContent = "";
      var claim = couponBox.querySelector("[data-claim]");
      claim.disabled = Boolean(claimed || soldOut);
      claim.textContent = claimed ? T.claimed : (soldOut ? T.sold_out : claim.getAttribute("data-label") || claim.textContent);
      couponBox.setAttribute("data-template-id", coupon.template_id);
      couponBox.hidden = false;
    }

    if (couponBox) {
      var claimButton = couponBox.querySelector("[data-claim]");
      claimButton.setAttribute("data-label", claimButton.textContent);
      couponBox.querySelector("[data-close-coupon]").addEventListener("click", function () { couponBox.hidden = true; });
      claimButton.addEventListener("click", function () {
        if (!currentCoupon) { return; }
        var url = stage.getAttribute("data-claim-url").replace(/\/0\/claim\/$/, "/" + currentCoupon.template_id + "/claim/");
        claimButton.disabled = true;
        fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf, "HX-Request": "true" } })
          .then(function (response) { return response.text(); })
          .then(function (html) {
            var result = couponBox.querySelector("[data-coupon-result]");
            result.innerHTML = html;
            var ok = result.querySelector("[data-claimed]");
            claimButton.disabled = Boolean(ok) || Boolean(result.querySelector('[data-code="sold_out"],[data-code="coupon_sold_out"]'));
            if (ok) { claimButton.textContent = T.claimed; }
          })
          .catch(function () {
            claimButton.disabled = false;
            couponBox.querySelector("[data-coupon-result]").textContent = T.load_failed;
          });
      });
    }

    // ---- flash deal, announcement, toasts ----
    function showFlash(item) {
      var box = stage.querySelector("[data-flash]");
      if (!box || !item) { return; }
      box.textContent = "";
      box.appendChild(el("strong", "live-flash-kicker", "⚡ " + T.flash));
      var title = el("span", "live-flash-title", item.title || item.product_title || "");
      title.setAttribute("translate", "no");
      box.appendChild(title);
      var price = item.price_display || (typeof item.price === "number" ? money(item.price) : "");
      if (price) { box.appendChild(el("span", "price", price)); }
      if (typeof item.remaining === "number" || typeof item.quantity === "number") {
        box.appendChild(el("small", "", fill(T.flash_left, { count: typeof item.remaining === "number" ? item.remaining : item.quantity })));
      }
      if (item.product_id) { box.setAttribute("data-buy", item.product_id); }
      box.hidden = false;
    }

    function announce(text) {
      var banner = stage.querySelector("[data-announcement]");
      if (!banner) { return; }
      banner.querySelector("[data-announcement-text]").textContent = text;
      banner.hidden = false;
      clearTimeout(announce.timer);
      announce.timer = setTimeout(function () { banner.hidden = true; }, 30000);
    }

    function toast(text) {
      var box = stage.querySelector("[data-toasts]");
      if (!box) { return; }
      var item = el("p", "live-toast", text);
      item.setAttribute("data-testid", "live-order-toast");
      box.appendChild(item);
      while (box.children.length > 2) { box.removeChild(box.firstChild); }
      setTimeout(function () { item.remove(); }, 5000);
    }

    // ---- state ----
    function setState(state) {
      stage.setAttribute("data-state", state);
      stage.className = stage.className.replace(/\bstate-\w+/, "state-" + state);
      var paused = stage.querySelector("[data-paused-curtain]");
      var ended = stage.querySelector("[data-ended-curtain]");
      if (paused) { paused.hidden = state !== "paused"; }
      if (ended) { ended.hidden = !(state === "ended" || state === "replay"); }
      if (state === "ended" || state === "replay") {
        stage.querySelectorAll("[data-chat-form] input, [data-chat-form] button").forEach(function (n) { n.disabled = true; });
        var video = stage.querySelector("video");
        if (video) { video.pause(); }
      }
      if (state === "live" && !stage.querySelector("video") && stage.querySelector("[data-countdown]")) {
        window.location.reload();  // the scheduled page has no player yet: fetch the live one
      }
    }

    function mutedText(data) {
      var text = data.reason ? fill(T.muted, { reason: data.reason }) : T.muted_no_reason;
      if (data.until) {
        var until = new Date(data.until);
        if (!isNaN(until)) { text += " " + fill(T.muted_until, { time: until.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }) }); }
      }
      return text;
    }

    // ---- frames ----
    function onFrame(frame) {
      var data = frame.data || {};
      var old = isCatchUp(frame);
      switch (frame.type) {
        case "welcome":
          if (data.room) {
            setState(data.room.state);
            likeTotal = data.room.like_count || 0;
            likesUnconfirmed = 0;
            showLikes();
          }
          if (typeof data.viewers === "number") { setViewers(data.viewers); }
          if (data.you && data.you.muted) { showError(mutedText(data.you.muted)); }
          break;
        case "chat": addChat(frame); break;
        case "likes":
          likeTotal = data.total || likeTotal;
          likesUnconfirmed = Math.max(0, likesUnconfirmed - (data.delta || 0));
          showLikes();
          if (!old && data.delta) { heart(); }
          break;
        case "presence": setViewers(data.viewers || 0); break;
        case "pin": setPinned(data.product || null); break;
        case "coupon": if (!old) { showCoupon(data.coupon, false); } break;
        case "flash": if (!old) { showFlash(data.item); } break;
        case "announcement": if (!old) { announce(data.text || ""); } break;
        case "state": setState(data.state); break;
        case "delete": {
          var line = chat.querySelector('[data-seq="' + data.seq + '"]');
          if (line) { line.remove(); }
          break;
        }
        case "order":
          if (!old) { toast(fill(T.bought, { buyer: data.buyer, product: data.product_title })); }
          break;
        case "slow_mode":
          if (data.seconds) { addNote(fill(T.slow_mode, { seconds: data.seconds })); }
          break;
        case "error": showError(data.message || data.code); break;
        case "muted": showError(mutedText(data)); break;
        case "unmuted": showError(""); addNote(T.unmuted); break;
        default: break;
      }
    }

    function onState(state, detail) {
      stage.setAttribute("data-connection", state);
      if (!connection) { return; }
      if (state === "open") { connection.hidden = true; return; }
      if (state === "closed") {
        connection.textContent = detail.code === 4404 ? T.gone : (detail.code === 4403 ? T.kicked : T.reconnecting);
        connection.hidden = false;
        return;
      }
      connection.textContent = state === "connecting" ? T.connecting : T.reconnecting;
      connection.hidden = state === "connecting";
    }

    // ---- chat form ----
    var form = stage.querySelector("[data-chat-form]");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var input = form.querySelector("input[name=text]");
        var text = input.value.trim();
        if (!text || !client) { return; }
        if (client.send({ type: "chat", text: text.slice(0, 200) })) {
          input.value = "";
          showError("");
        } else {
          showError(T.reconnecting);
        }
      });
    }

    // ---- product list sheet (phones) and the buy sheet ----
    var products = stage.querySelector("[data-products-panel]");
    function openProducts() { if (products) { products.classList.add("is-open"); backdrop.hidden = false; } }
    function closeProducts() { if (products) { products.classList.remove("is-open"); } }

    function openSheet(url) {
      closeProducts();
      sheet.hidden = false;
      backdrop.hidden = false;
      sheet.classList.add("is-loading");
      window.htmx.ajax("GET", url, { target: "#live-sheet", swap: "innerHTML" }).then(function () {
        sheet.classList.remove("is-loading");
      });
    }

    function closeSheet() {
      sheet.hidden = true;
      sheet.textContent = "";
      backdrop.hidden = true;
      closeProducts();
    }

    stage.addEventListener("click", function (event) {
      var target = event.target;
      var buy = target.closest("[data-buy]");
      if (buy && !buy.disabled) {
        var url = stage.getAttribute("data-sheet-url").replace(/\/0\/$/, "/" + buy.getAttribute("data-buy") + "/");
        openSheet(url);
        return;
      }
      if (target.closest("[data-open-products]")) { openProducts(); return; }
      if (target.closest("[data-close-products]")) { closeProducts(); backdrop.hidden = true; return; }
      if (target.closest("[data-close-sheet]") || target === backdrop) { closeSheet(); return; }
      if (target.closest("[data-close-banner]")) { stage.querySelector("[data-announcement]").hidden = true; }
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && (!sheet.hidden || (products && products.classList.contains("is-open")))) { closeSheet(); }
    });
    document.body.addEventListener("htmx:sendError", function () {
      if (!sheet.hidden) { sheet.classList.remove("is-loading"); }
    });

    // Back from paying: the sheet shows the order until it is paid.
    var orderUrl = stage.getAttribute("data-order-url");
    if (orderUrl) {
      openSheet(orderUrl);
      if (window.history.replaceState) { window.history.replaceState(null, "", window.location.pathname); }
    }

    // Coupons already dropped before the page loaded.
    var initial = document.querySelector("template[data-initial-coupon]:not([data-claimed='1'])");
    if (initial && initial.getAttribute("data-remaining") === "0") { initial = null; }  // all claimed
    if (initial && stage.getAttribute("data-state") === "live") {
      showCoupon({
        template_id: parseInt(initial.getAttribute("data-template-id"), 10),
        name: initial.getAttribute("data-name"),
        amount: parseInt(initial.getAttribute("data-amount"), 10),
        min_spend: parseInt(initial.getAttribute("data-min-spend"), 10),
        remaining: initial.getAttribute("data-remaining") === "" ? null : parseInt(initial.getAttribute("data-remaining"), 10),
        quantity: initial.getAttribute("data-quantity") === "" ? null : parseInt(initial.getAttribute("data-quantity"), 10),
      }, false);
    }

    // ---- countdown for scheduled rooms ----
    var countdown = stage.querySelector("[data-countdown]");
    if (countdown) {
      var startsAt = Date.parse(countdown.getAttribute("data-countdown"));
      var tick = function () {
        var left = Math.max(0, Math.floor((startsAt - Date.now()) / 1000));
        var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
        var pad = function (n) { return n < 10 ? "0" + n : String(n); };
        countdown.textContent = (d ? d + (lang.indexOf("zh") === 0 ? "天 " : "d ") : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
      };
      tick();
      setInterval(tick, 1000);
    }

    // ---- connect ----
    if (window.CirclemartLive && stage.getAttribute("data-ws-url")) {
      var lastSeq = parseInt(stage.getAttribute("data-last-seq"), 10) || 0;
      client = window.CirclemartLive.connect(stage.getAttribute("data-ws-url"), {
        lastSeq: lastSeq,
        onFrame: onFrame,
        onState: onState,
      });
      window.addEventListener("pagehide", function () { flushLikes(); });
      stage.liveClient = client;  // for tests and the console
    }
  });
})();
