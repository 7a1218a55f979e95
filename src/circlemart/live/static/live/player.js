// Plays a room's video in a <video data-live-video data-src="…">: MP4/WebM natively, HLS
// (.m3u8) with the bundled hls.js when the page loaded it (window.Hls), else natively (Safari,
// Android). Starts muted (browsers allow only muted autoplay) with a "tap for sound" button.
//   CirclemartPlayer.attach(video, url) → {video, seek(seconds)}
(function (global) {
  "use strict";

  function isHls(url) { return /\.m3u8(\?|#|$)/i.test(url); }

  function attach(video, url) {
    if (!video || !url) { return null; }
    var box = video.closest("[data-player]") || video.parentNode;
    function failed() { if (box) { box.classList.add("is-unplayable"); } }
    if (isHls(url) && global.Hls && global.Hls.isSupported()) {
      var hls = new global.Hls({ lowLatencyMode: true });
      hls.on(global.Hls.Events.ERROR, function (_event, data) { if (data && data.fatal) { failed(); } });
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (isHls(url) && !video.canPlayType("application/vnd.apple.mpegurl")) {
      failed();
      return null;
    } else {
      video.src = url;
    }
    video.addEventListener("error", failed);
    video.muted = true;
    var playing = video.play();
    if (playing && playing.catch) { playing.catch(function () { if (box) { box.classList.add("needs-tap"); } }); }
    var sound = box && box.querySelector("[data-unmute]");
    if (sound) {
      sound.hidden = false;
      sound.addEventListener("click", function () {
        video.muted = false;
        video.play();
        sound.hidden = true;
        box.classList.remove("needs-tap");
      });
    }
    return {
      video: video,
      seek: function (seconds) { video.currentTime = seconds; },
    };
  }

  function attachAll() {
    document.querySelectorAll("video[data-live-video]").forEach(function (video) {
      attach(video, video.getAttribute("data-src"));
    });
  }

  global.CirclemartPlayer = { attach: attach };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", attachAll);
  } else {
    attachAll();
  }
})(window);
