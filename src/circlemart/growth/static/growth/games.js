// Games: the wheel and the scratch card. The server decides every play (POST to the API with
// the form's Idempotency-Key) before anything moves; this file only shows the answer: it turns
// the wheel to the slot the server chose, or lets the player scratch off a cover over it, then
// opens the page with the result. Without JavaScript the form posts and the page shows it.
// Loaded as a static file (CSP).
(function () {
  "use strict";
  var section = document.querySelector("[data-testid=game]");
  if (!section) { return; }
  // A page showing a play's result shows the wheel where that play stopped.
  var shown = section.querySelector("[data-testid=play-result]");
  var shownDisc = section.querySelector(".wheel-disc");
  var shownId = shown && shown.getAttribute("data-prize-id");
  var shownSlot = shownId && shownDisc ? shownDisc.querySelector('[data-prize-id="' + shownId + '"]') : null;
  if (shownSlot) {
    shownDisc.style.transform = "rotate(" + (-parseFloat(shownSlot.getAttribute("data-angle"))).toFixed(2) + "deg)";
  }
  var form = section.querySelector(".play-form");
  if (!form || !window.fetch) { return; }
  var kind = section.getAttribute("data-game-kind");
  var button = form.querySelector("button[type=submit]");
  var errorBox = section.querySelector("[data-testid=play-error]");
  var keyInput = form.querySelector("input[name=key]");

  function freshKey() {
    var key = "";
    while (key.length < 32) { key += Math.floor(Math.random() * 36).toString(36); }
    return key;
  }
  function csrf() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    keyInput.value = freshKey(); // a refused play wrote nothing: the next try is a new request
    button.disabled = false;
  }
  function finish(result) {
    window.location.assign(section.getAttribute("data-page-url") + "?result=" + result.id);
  }
  function play() {
    return fetch(section.getAttribute("data-play-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "Idempotency-Key": keyInput.value, "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    });
  }

  function spinTo(result) {
    var disc = section.querySelector(".wheel-disc");
    var slots = parseInt(disc.getAttribute("data-slots"), 10) || 1;
    var span = 360 / slots;
    var slot = result.prize_id ? disc.querySelector('[data-prize-id="' + result.prize_id + '"]') : null;
    // No slot to show (a prize ran out and there is no "thanks" slot): stop between two slots.
    var angle = slot ? parseFloat(slot.getAttribute("data-angle")) : span / 2;
    var jitter = slot ? (Math.random() - 0.5) * span * 0.6 : 0;
    var target = 360 * 6 - angle + jitter;
    var done = false;
    function end() {
      if (done) { return; }
      done = true;
      disc.setAttribute("data-stopped-at", String(result.prize_id || ""));
      finish(result);
    }
    disc.addEventListener("transitionend", end, { once: true });
    window.setTimeout(end, 6000);
    disc.classList.add("spinning");
    disc.style.transform = "rotate(" + target.toFixed(2) + "deg)";
  }

  function scratch(result) {
    var card = section.querySelector(".scratch-card");
    var text = card.querySelector(".scratch-result");
    var canvas = card.querySelector(".scratch-cover");
    var reveal = section.querySelector("[data-testid=scratch-reveal]");
    var context = canvas.getContext("2d");
    var done = false;
    var strokes = 0;
    text.textContent = result.prize_name;
    context.globalCompositeOperation = "source-over";
    context.fillStyle = "#b8b8c0";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = "#fff";
    context.font = "20px sans-serif";
    context.textAlign = "center";
    context.fillText(card.getAttribute("data-cover-label") || "???", canvas.width / 2, canvas.height / 2 + 7);
    canvas.hidden = false;
    reveal.hidden = false;
    function end() {
      if (done) { return; }
      done = true;
      canvas.hidden = true;
      finish(result);
    }
    function clearedShare() {
      var pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      var clear = 0;
      for (var i = 3; i < pixels.length; i += 64) { if (pixels[i] === 0) { clear += 1; } }
      return clear / (pixels.length / 64);
    }
    function rub(event) {
      if (done || (event.type === "pointermove" && event.buttons === 0 && event.pointerType === "mouse")) { return; }
      var box = canvas.getBoundingClientRect();
      var x = (event.clientX - box.left) * canvas.width / box.width;
      var y = (event.clientY - box.top) * canvas.height / box.height;
      context.globalCompositeOperation = "destination-out";
      context.beginPath();
      context.arc(x, y, 18, 0, Math.PI * 2);
      context.fill();
      strokes += 1;
      if (strokes % 10 === 0 && clearedShare() > 0.5) { end(); }
    }
    canvas.addEventListener("pointerdown", rub);
    canvas.addEventListener("pointermove", rub);
    reveal.addEventListener("click", end);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    errorBox.hidden = true;
    play().then(function (answer) {
      if (!answer.ok) {
        showError(answer.body && answer.body.error ? answer.body.error.message : button.textContent);
        return;
      }
      if (kind === "wheel") { spinTo(answer.body); } else { scratch(answer.body); }
    }).catch(function () { form.submit(); });
  });
})();
