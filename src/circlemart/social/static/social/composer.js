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

// Product picker: htmx fills the results list as the shopper types; clicking a result adds
// a chip carrying a hidden `product_ids` input, × removes it. The server checks the ids again.
(function () {
  "use strict";
  var picker = document.querySelector("[data-picker]");
  if (!picker) { return; }
  var max = parseInt(picker.getAttribute("data-max") || "10", 10);
  var chips = picker.querySelector("[data-picker-chips]");
  var results = picker.querySelector("[data-picker-results]");
  var search = picker.querySelector("input[type=search]");
  var full = picker.querySelector("[data-picker-full]");
  var template = picker.querySelector("template[data-picker-chip-template]");

  function chosen() {
    return Array.prototype.map.call(
      chips.querySelectorAll("input[name=product_ids]"),
      function (input) { return input.value; }
    );
  }

  function clearResults() {
    while (results.firstChild) { results.removeChild(results.firstChild); }
  }

  picker.addEventListener("click", function (event) {
    var add = event.target.closest("[data-picker-add]");
    var remove = event.target.closest("[data-picker-remove]");
    if (add) {
      event.preventDefault();
      var id = add.getAttribute("data-product-id");
      var ids = chosen();
      if (ids.indexOf(id) !== -1) { clearResults(); return; }
      if (ids.length >= max) { if (full) { full.hidden = false; } return; }
      var chip = template.content.firstElementChild.cloneNode(true);
      chip.setAttribute("data-product-id", id);
      chip.querySelector("input").value = id;
      chip.querySelector("span").textContent = add.getAttribute("data-product-title") || id;
      chips.appendChild(chip);
      clearResults();
      search.value = "";
      search.focus();
    } else if (remove) {
      event.preventDefault();
      var item = remove.closest("li");
      if (item) { item.parentNode.removeChild(item); }
      if (full) { full.hidden = true; }
    }
  });

  search.addEventListener("keydown", function (event) {
    // Enter searches; it must not publish the note.
    if (event.key === "Enter") { event.preventDefault(); }
    if (event.key === "Escape") { clearResults(); }
  });
})();
