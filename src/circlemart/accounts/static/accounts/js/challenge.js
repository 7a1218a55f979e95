// Sign-in security check (accounts/signin/challenge.py): find a nonce such that
// SHA-256(challenge + nonce) starts with `difficulty` zero bits, then let the form be sent.
(function () {
  "use strict";
  var form = document.querySelector("form[data-challenge]");
  if (!form) { return; }
  var token = form.getAttribute("data-challenge");
  var difficulty = parseInt(form.getAttribute("data-difficulty"), 10);
  var nonceInput = form.querySelector("[data-challenge-nonce]");
  var status = form.querySelector("[data-challenge-status]");
  var submit = form.querySelector("button[type=submit]");
  if (!window.crypto || !window.crypto.subtle) {  // only in secure contexts (HTTPS, localhost)
    status.textContent = status.getAttribute("data-unsupported");
    return;
  }
  var encoder = new TextEncoder();

  function zeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] !== 0) { return bits + Math.clz32(bytes[i]) - 24; }
      bits += 8;
    }
    return bits;
  }

  async function solve() {
    var batch = 512;  // digests in flight at once: fewer round trips through the event loop
    for (var start = 0; ; start += batch) {
      var pending = [];
      for (var n = start; n < start + batch; n++) {
        pending.push(crypto.subtle.digest("SHA-256", encoder.encode(token + n)));
      }
      var digests = await Promise.all(pending);
      for (var i = 0; i < digests.length; i++) {
        if (zeroBits(new Uint8Array(digests[i])) >= difficulty) { return String(start + i); }
      }
    }
  }

  submit.disabled = true;
  solve().then(function (nonce) {
    nonceInput.value = nonce;
    submit.disabled = false;
    status.textContent = status.getAttribute("data-done");
    status.setAttribute("data-solved", "true");
  });
})();
