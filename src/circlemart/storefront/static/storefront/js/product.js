// SKU picker: choose options, see the matching SKU's price and stock without a reload.
(function () {
  "use strict";
  var data = document.getElementById("sku-data");
  var picker = document.querySelector("[data-sku-picker]");
  if (!data || !picker) { return; }
  var skus = JSON.parse(data.textContent);
  var names = JSON.parse(picker.getAttribute("data-option-names"));
  var chosen = {};
  var price = document.querySelector("[data-price]");
  var original = document.querySelector("[data-original-price]");
  var stock = document.querySelector("[data-stock]");
  var skuInput = document.querySelector("[data-sku-input]");
  var buyButtons = document.querySelectorAll("[data-buy]");
  var hint = document.querySelector("[data-buy-hint]");
  // The buy bar says why its buttons wait: options still to choose, or the SKU is sold out.
  function setBuyable(on, why) {
    buyButtons.forEach(function (b) { b.disabled = !on; });
    if (!hint) { return; }
    hint.textContent = on ? "" : why;
    hint.hidden = on || !why;
  }

  function matches(sku, selection) {
    return Object.keys(selection).every(function (name) { return sku.options[name] === selection[name]; });
  }

  function current() {
    if (Object.keys(chosen).length !== names.length) { return null; }
    return skus.find(function (sku) { return matches(sku, chosen); }) || null;
  }

  function refresh() {
    picker.querySelectorAll("[data-option]").forEach(function (button) {
      var name = button.getAttribute("data-option");
      var value = button.getAttribute("data-value");
      var trial = Object.assign({}, chosen);
      trial[name] = value;
      var possible = skus.some(function (sku) { return matches(sku, trial) && sku.available > 0; });
      button.classList.toggle("selected", chosen[name] === value);
      button.classList.toggle("unavailable", !possible);
      button.setAttribute("aria-pressed", chosen[name] === value ? "true" : "false");
    });
    var sku = current();
    if (!sku) {
      stock.textContent = stock.getAttribute("data-choose");
      skuInput.value = "";
      setBuyable(false, stock.getAttribute("data-choose"));
      return;
    }
    price.textContent = sku.price_display;
    original.textContent = sku.original_display || "";
    original.hidden = !sku.original_display;
    stock.textContent = sku.available > 0 ? sku.stock_display : stock.getAttribute("data-sold-out");
    stock.classList.toggle("sold-out", sku.available <= 0);
    skuInput.value = String(sku.id);
    setBuyable(sku.available > 0, stock.getAttribute("data-sold-out"));
  }

  picker.addEventListener("click", function (event) {
    var button = event.target.closest("[data-option]");
    if (!button) { return; }
    var name = button.getAttribute("data-option");
    var value = button.getAttribute("data-value");
    if (chosen[name] === value) { delete chosen[name]; } else { chosen[name] = value; }
    refresh();
  });

  // Start on the first SKU that can be bought, like every shop does.
  var first = skus.find(function (sku) { return sku.available > 0; }) || skus[0];
  if (first) { chosen = Object.assign({}, first.options); }
  refresh();

  document.querySelectorAll("[data-gallery-thumb]").forEach(function (thumb) {
    thumb.addEventListener("click", function () {
      var main = document.querySelector("[data-gallery-main]");
      main.src = thumb.getAttribute("data-full");
      main.alt = thumb.getAttribute("alt");
    });
  });
})();
