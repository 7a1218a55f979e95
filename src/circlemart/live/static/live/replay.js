// The replay's chat in time with the video: a message shows once the video reaches its offset
// from the start of the live (data-offset, seconds). Without the video all messages show.
(function () {
  "use strict";
  function start() {
    var root = document.querySelector("[data-live-replay]");
    if (!root) { return; }
    var video = root.querySelector("video");
    var chat = root.querySelector("[data-replay-chat]");
    if (!video || !chat) { return; }
    var lines = Array.prototype.slice.call(chat.querySelectorAll("li[data-offset]"));
    var shown = -1;
    function sync() {
      var now = video.currentTime || 0;
      var count = 0;
      lines.forEach(function (line) {
        var visible = parseFloat(line.getAttribute("data-offset")) <= now;
        line.hidden = !visible;
        if (visible) { count += 1; }
      });
      if (count !== shown) {
        shown = count;
        chat.scrollTop = chat.scrollHeight;
      }
    }
    ["timeupdate", "seeked", "loadedmetadata"].forEach(function (name) { video.addEventListener(name, sync); });
    // No video to follow: the whole log shows.
    video.addEventListener("error", function () { lines.forEach(function (line) { line.hidden = false; }); });
    sync();
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
