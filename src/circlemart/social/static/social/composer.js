// Note composer: previews of the chosen images (object URLs, nothing uploaded until submit)
// and a check of the 9-image limit before the form is sent. Loaded as a file: the CSP
// forbids inline scripts.
(function () {
  "use strict";
  var input = document.querySelector("[data-image-input]");
  var list = document.querySelector("[data-image-previews]");
  var error = document.querySelector("[data-image-error]");
  if (!input || !list) { return; }
  var max = parseInt(input.getAttribute("data-max") || "9", 10);
  var urls = [];

  function clear() {
    urls.forEach(function (url) { URL.revokeObjectURL(url); });
    urls = [];
    while (list.firstChild) { list.removeChild(list.firstChild); }
  }

  input.addEventListener("change", function () {
    clear();
    var files = Array.prototype.slice.call(input.files || []);
    var tooMany = files.length > max;
    if (error) { error.hidden = !tooMany; }
    input.setCustomValidity(tooMany ? (error ? error.textContent : "Too many images") : "");
    files.slice(0, max).forEach(function (file) {
      if (!/^image\//.test(file.type)) { return; }
      var url = URL.createObjectURL(file);
      urls.push(url);
      var item = document.createElement("li");
      var image = document.createElement("img");
      image.src = url;
      image.alt = "";
      image.width = 96;
      image.height = 96;
      item.appendChild(image);
      list.appendChild(item);
    });
  });

  input.form.addEventListener("submit", function (event) {
    if ((input.files || []).length > max) {
      event.preventDefault();
      if (error) { error.hidden = false; }
    }
  });
})();
