// The live room's websocket client (docs/live-protocol.md), shared by the viewer's room page
// and the host console. It keeps the highest sequence number applied, drops duplicates,
// reconnects with ?last_seq= after a drop or a gap (back-off 0.5 s doubling to 10 s, with
// jitter) and pings every 25 s. API:
//
//   var client = CirclemartLive.connect(url, {
//     lastSeq: 118,               // highest seq the page already shows: frames after it are
//                                 // replayed (0: the whole log; omit when new)
//     onFrame: function (frame) {},   // every frame to apply (sequenced ones once, in order)
//     onState: function (state, detail) {},  // "connecting" | "open" | "reconnecting" | "closed"
//   });
//   client.send({type: "chat", text: "hi"});  // false when not connected
//   client.lastSeq();  client.close();
//
// `url` may be "/ws/live/7/" (same origin as the page) or "ws://127.0.0.1:8001/ws/live/7/".
(function (global) {
  "use strict";

  var PROTOCOL = "live.v1";
  var PING_MS = 25000;
  var BACKOFF_FIRST_MS = 500;
  var BACKOFF_MAX_MS = 10000;
  // The server says "do not come back": unknown room (4404), kicked or origin refused (4403).
  var FINAL_CODES = { 4403: true, 4404: true };

  function absolute(url) {
    if (/^wss?:\/\//.test(url)) { return url; }
    var scheme = global.location.protocol === "https:" ? "wss://" : "ws://";
    if (url.charAt(0) !== "/") { url = "/" + url; }
    return scheme + global.location.host + url;
  }

  function withLastSeq(url, seq) {
    if (seq === null) { return url; }
    var parts = url.split("?");
    var query = (parts[1] || "").split("&").filter(function (p) {
      return p && p.indexOf("last_seq=") !== 0;
    });
    query.push("last_seq=" + seq);
    return parts[0] + "?" + query.join("&");
  }

  function connect(url, options) {
    options = options || {};
    var onFrame = options.onFrame || function () {};
    var onState = options.onState || function () {};
    var base = absolute(url);
    var hasSeq = typeof options.lastSeq === "number" && options.lastSeq >= 0;
    var highest = hasSeq ? options.lastSeq : 0;
    var socket = null;
    var stopped = false;
    var backoff = BACKOFF_FIRST_MS;
    var retryTimer = null;
    var pingTimer = null;
    var everOpened = false;

    function state(name, detail) {
      try { onState(name, detail || {}); } catch (error) { global.console && console.error(error); }
    }

    function apply(frame) {
      try { onFrame(frame); } catch (error) { global.console && console.error(error); }
    }

    function open() {
      clearTimeout(retryTimer);
      state(everOpened ? "reconnecting" : "connecting");
      try {
        socket = new global.WebSocket(withLastSeq(base, hasSeq ? highest : null), [PROTOCOL]);
      } catch (error) {
        schedule();
        return;
      }
      var current = socket;
      current.onopen = function () {
        everOpened = true;
        backoff = BACKOFF_FIRST_MS;
        clearInterval(pingTimer);
        pingTimer = setInterval(function () { send({ type: "ping" }); }, PING_MS);
        state("open");
      };
      current.onmessage = function (event) {
        var frame;
        try { frame = JSON.parse(event.data); } catch (error) { return; }
        if (!frame || typeof frame !== "object") { return; }
        if (typeof frame.seq === "number") {
          if (frame.seq <= highest) { return; }  // a duplicate
          if (hasSeq && frame.seq > highest + 1) {  // a gap: come back for what was missed
            current.close(4000, "gap");
            return;
          }
          highest = frame.seq;
          hasSeq = true;
        } else if (frame.type === "welcome" && frame.data && !hasSeq) {
          // A new client starts from the room's current number.
          highest = frame.data.last_seq || 0;
          hasSeq = true;
        }
        apply(frame);
      };
      current.onclose = function (event) {
        clearInterval(pingTimer);
        if (current !== socket) { return; }
        socket = null;
        if (stopped) { state("closed", { code: event.code }); return; }
        if (FINAL_CODES[event.code]) {
          stopped = true;
          state("closed", { code: event.code, reason: event.reason });
          return;
        }
        schedule();
      };
      current.onerror = function () { /* onclose follows and reconnects */ };
    }

    function schedule() {
      if (stopped) { return; }
      state("reconnecting");
      var wait = backoff / 2 + Math.random() * backoff / 2;
      backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      retryTimer = setTimeout(open, wait);
    }

    function send(frame) {
      if (!socket || socket.readyState !== 1) { return false; }
      socket.send(JSON.stringify(frame));
      return true;
    }

    // Back from a sleeping tab or a network change: try at once instead of waiting out back-off.
    global.addEventListener("online", function () {
      if (!stopped && !socket) { backoff = BACKOFF_FIRST_MS; open(); }
    });

    open();
    return {
      send: send,
      lastSeq: function () { return highest; },
      close: function () {
        stopped = true;
        clearTimeout(retryTimer);
        clearInterval(pingTimer);
        if (socket) { socket.close(1000); }
      },
    };
  }

  global.CirclemartLive = { connect: connect };
})(window);
