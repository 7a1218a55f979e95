// The host console's live chat (docs/live-protocol.md): the room's recent chat, the frames
// that arrive over the websocket (through live.js), and the moderator's tools: delete a
// message, mute (with the reason the viewer sees), unmute, kick out, slow mode. Also keeps the
// viewer and like counters of the stats panel current between its 5-second refreshes.
(function () {
  "use strict";
  var panel = document.querySelector("[data-host-chat]");
  if (!panel || !window.CirclemartLive) { return; }

  var roomId = panel.getAttribute("data-room-id");
  var log = panel.querySelector("[data-chat-log]");
  var status = panel.querySelector("[data-chat-status]");
  var errorLine = panel.querySelector("[data-chat-error]");
  var slowMode = panel.querySelector("[data-slow-mode]");
  var moderate = panel.querySelector("[data-moderate]");
  var text = function (name) { return panel.getAttribute("data-text-" + name) || ""; };
  var MAX_LINES = 200;
  var selected = null;  // {seq, userId, name, text}

  function wsUrl() {
    var base = panel.getAttribute("data-ws-url") || "";
    return base.replace(/\/+$/, "") + "/ws/live/" + roomId + "/";
  }

  function showError(message) {
    errorLine.textContent = message || "";
    errorLine.hidden = !message;
  }

  function trim() {
    while (log.children.length > MAX_LINES) { log.removeChild(log.firstElementChild); }
  }

  function scrollDown(force) {
    var nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    if (force || nearBottom) { log.scrollTop = log.scrollHeight; }
  }

  function line(kind, seq) {
    var item = document.createElement("li");
    item.className = "console-line console-line-" + kind;
    if (seq) { item.setAttribute("data-seq", String(seq)); }
    return item;
  }

  function addChat(seq, data) {
    if (!data || data.deleted) { return; }
    var user = data.user || {};
    var item = line("chat", seq);
    item.setAttribute("data-testid", "chat-line");
    item.setAttribute("data-user-id", user.id == null ? "" : String(user.id));
    item.tabIndex = 0;
    item.setAttribute("role", "button");
    var name = document.createElement("span");
    name.className = "console-line-name";
    name.textContent = (user.name || "?") + "：";
    var body = document.createElement("span");
    body.className = "console-line-text";
    body.setAttribute("data-testid", "chat-text");
    body.textContent = data.text || "";
    item.appendChild(name);
    item.appendChild(body);
    if (data.masked) { item.classList.add("masked"); }
    log.appendChild(item);
  }

  function addNote(kind, seq, message) {
    var item = line(kind, seq);
    item.classList.add("console-line-note");
    item.textContent = message;
    log.appendChild(item);
  }

  // The name a user chatted under in this log (mute frames carry only the id).
  function nameOf(userId) {
    var line = log.querySelector('[data-user-id="' + userId + '"] .console-line-name');
    return line ? line.textContent.replace(/：$/, "") : "#" + userId;
  }

  function markDeleted(seq) {
    var item = log.querySelector('[data-seq="' + seq + '"]');
    if (!item) { return; }
    item.classList.add("deleted");
    item.removeAttribute("role");
    item.removeAttribute("tabindex");
    var body = item.querySelector(".console-line-text");
    if (body) { body.textContent = text("deleted"); }
    if (selected && String(selected.seq) === String(seq)) { closeModerate(); }
  }

  function setCounter(selector, value) {
    if (value == null) { return; }
    document.querySelectorAll(selector).forEach(function (node) { node.textContent = String(value); });
  }

  function apply(frame) {
    var data = frame.data || {};
    switch (frame.type) {
      case "welcome":
        setCounter("[data-live-viewers], [data-live-viewers-chat]", data.viewers);
        if (data.room && slowMode) { slowMode.value = String(data.room.slow_mode_seconds || 0); }
        break;
      case "presence":
        setCounter("[data-live-viewers], [data-live-viewers-chat]", data.viewers);
        break;
      case "chat":
        addChat(frame.seq, data);
        break;
      case "delete":
        markDeleted(data.seq);
        break;
      case "likes":
        setCounter("[data-live-likes]", data.total);
        break;
      case "announcement":
        addNote("announcement", frame.seq, text("announcement") + "：" + (data.text || ""));
        break;
      case "order":
        addNote("order", frame.seq, (data.buyer || "") + " " + text("bought") + " " + (data.product_title || ""));
        break;
      case "pin":
        if (data.product) { addNote("pin", frame.seq, text("pinned") + "：" + data.product.title); }
        break;
      case "coupon":
        if (data.coupon) { addNote("coupon", frame.seq, text("coupon") + "：" + data.coupon.name); }
        break;
      case "flash":
        addNote("flash", frame.seq, text("flash"));
        break;
      case "state":
        addNote("state", frame.seq, text("state") + "：" + (text("state-" + data.state) || data.state || ""));
        break;
      case "mute":
        addNote("mute", frame.seq, nameOf(data.user_id) + " " + text("muted"));
        break;
      case "slow_mode":
        if (slowMode) { slowMode.value = String(data.seconds || 0); }
        break;
      case "error":
        showError(data.message || data.code);
        return;
      default:
        return;
    }
    trim();
    scrollDown(false);
  }

  // The recent chat the page rendered (oldest first), then everything after it live.
  var initial = [];
  try { initial = JSON.parse(panel.getAttribute("data-history") || "[]"); } catch (e) { initial = []; }
  initial.forEach(function (frame) { apply(frame); });
  scrollDown(true);

  var client = window.CirclemartLive.connect(wsUrl(), {
    lastSeq: parseInt(panel.getAttribute("data-last-seq") || "0", 10) || 0,
    onFrame: apply,
    onState: function (state) {
      var label = state === "open" ? text("live") : state === "reconnecting" ? text("reconnecting") : text("connecting");
      status.textContent = label;
      status.setAttribute("data-state", state);
      panel.setAttribute("data-connection", state);
    },
  });

  function send(frame) {
    showError("");
    if (!client.send(frame)) { showError(text("reconnecting")); return false; }
    return true;
  }

  // --- Moderation -----------------------------------------------------------------------
  function openModerate(item) {
    var userId = item.getAttribute("data-user-id");
    selected = {
      seq: parseInt(item.getAttribute("data-seq"), 10),
      userId: userId ? parseInt(userId, 10) : null,
      name: (item.querySelector(".console-line-name") || {}).textContent || "",
      text: (item.querySelector(".console-line-text") || {}).textContent || "",
    };
    log.querySelectorAll(".selected").forEach(function (node) { node.classList.remove("selected"); });
    item.classList.add("selected");
    moderate.querySelector("[data-moderate-name]").textContent = selected.name.replace(/：$/, "");
    moderate.querySelector("[data-moderate-text]").textContent = selected.text;
    moderate.querySelector("[data-moderate-reason]").value = "";
    moderate.hidden = false;
    moderate.querySelector("[data-moderate-reason]").focus({ preventScroll: true });
  }

  function closeModerate() {
    selected = null;
    moderate.hidden = true;
    log.querySelectorAll(".selected").forEach(function (node) { node.classList.remove("selected"); });
  }

  log.addEventListener("click", function (event) {
    var item = event.target.closest(".console-line-chat");
    if (item && !item.classList.contains("deleted")) { openModerate(item); }
  });
  log.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.key !== " ") { return; }
    var item = event.target.closest(".console-line-chat");
    if (item && !item.classList.contains("deleted")) { event.preventDefault(); openModerate(item); }
  });
  moderate.querySelector("[data-moderate-close]").addEventListener("click", closeModerate);
  moderate.addEventListener("submit", function (event) { event.preventDefault(); });

  moderate.addEventListener("click", function (event) {
    var button = event.target.closest("[data-moderate-action]");
    if (!button || !selected) { return; }
    var action = button.getAttribute("data-moderate-action");
    var reason = moderate.querySelector("[data-moderate-reason]").value.trim();
    var minutes = moderate.querySelector("[data-moderate-minutes]").value;
    var frame;
    if (action === "delete") {
      frame = { type: "delete", seq: selected.seq };
    } else if (selected.userId == null) {
      return;
    } else if (action === "unmute") {
      frame = { type: "unmute", user_id: selected.userId };
    } else {
      if (!reason) { showError(text("reason-needed")); return; }
      frame = { type: action, user_id: selected.userId, reason: reason };
      if (action === "mute" && minutes) { frame.minutes = parseInt(minutes, 10); }
    }
    if (send(frame)) { closeModerate(); }
  });

  if (slowMode) {
    slowMode.addEventListener("change", function () {
      send({ type: "slow_mode", seconds: parseInt(slowMode.value, 10) || 0 });
    });
  }

  // A confirm step for buttons that cannot be undone (ending the room).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);
})();
