/* The product page's SKU matrix: option names and values → one row per combination.
   State lives in the hidden JSON textarea the form posts; rows keep their values (and, on
   the server, their SKU) while their combination stays. No inline script (CSP). */
(function () {
  "use strict";

  var SEPARATORS = /[,，、;；\n]+/;

  function keyOf(options) {
    return Object.keys(options).sort().map(function (name) {
      return name + "=" + options[name];
    }).join("|");
  }

  function cartesian(options) {
    var combos = [{}];
    options.forEach(function (option) {
      var next = [];
      combos.forEach(function (combo) {
        option.values.forEach(function (value) {
          var copy = Object.assign({}, combo);
          copy[option.name] = value;
          next.push(copy);
        });
      });
      combos = next;
    });
    return combos;
  }

  function element(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function setUp(root) {
    var store = root.querySelector("[data-sku-matrix-json]");
    var optionBox = root.querySelector("[data-option-rows]");
    var table = root.querySelector("[data-sku-table]");
    var label = function (name) { return root.getAttribute("data-label-" + name) || name; };
    var state;
    try {
      state = JSON.parse(store.value || "{}");
    } catch (error) {
      state = {};
    }
    state.options = state.options || [];
    state.rows = state.rows || [];

    function save() {
      store.value = JSON.stringify({ options: state.options, rows: state.rows });
    }

    function productCode() {
      var input = document.getElementById("id_code");
      return (input && input.value.trim()) || "SKU";
    }

    function readOptions() {
      var options = [];
      optionBox.querySelectorAll(".cm-option-row").forEach(function (row) {
        var name = row.querySelector("[data-option-name]").value.trim();
        var values = row.querySelector("[data-option-values]").value.split(SEPARATORS)
          .map(function (value) { return value.trim(); })
          .filter(function (value, index, all) { return value && all.indexOf(value) === index; });
        if (name && values.length) {
          options.push({ name: name, values: values });
        }
      });
      return options;
    }

    function addOptionRow(option) {
      var row = element("div", { "class": "cm-option-row", "data-testid": "sku-option" });
      var name = element("input", { type: "text", "data-option-name": "", "aria-label": label("name"), placeholder: label("name"), maxlength: "20" });
      var values = element("input", { type: "text", "data-option-values": "", "aria-label": label("values"), placeholder: label("values") });
      var remove = element("button", { type: "button", "class": "cm-button cm-button-plain" }, label("remove"));
      name.value = option ? option.name : "";
      values.value = option ? option.values.join(", ") : "";
      remove.addEventListener("click", function () { row.remove(); });
      row.append(name, values, remove);
      optionBox.appendChild(row);
      return row;
    }

    function generate() {
      var options = readOptions();
      var byKey = {};
      state.rows.forEach(function (row) { byKey[keyOf(row.options || {})] = row; });
      var template = state.rows[0] || { price: "", original_price: "", stock: "0", max_per_order: "99" };
      var used = {};
      state.rows.forEach(function (row) { used[row.code] = true; });
      var counter = state.rows.length;
      state.options = options;
      state.rows = cartesian(options).map(function (combo) {
        var existing = byKey[keyOf(combo)];
        if (existing) {
          return existing;
        }
        var code;
        do {
          counter += 1;
          code = productCode() + "-" + counter;
        } while (used[code]);
        used[code] = true;
        return {
          id: null, options: combo, code: code, price: template.price,
          original_price: template.original_price, stock: "0",
          max_per_order: template.max_per_order || "99",
        };
      });
      save();
      draw();
    }

    function input(row, field, attrs) {
      var box = element("input", Object.assign({ type: "text", "data-field": field }, attrs || {}));
      box.value = row[field] === null || row[field] === undefined ? "" : row[field];
      box.addEventListener("input", function () {
        row[field] = box.value;
        save();
      });
      return box;
    }

    function draw() {
      table.textContent = "";
      var head = element("tr");
      [label("combo"), label("price"), label("original"), label("stock"), label("limit"), label("code")]
        .forEach(function (title) { head.appendChild(element("th", {}, title)); });
      table.appendChild(element("thead")).appendChild(head);
      var body = table.appendChild(element("tbody"));
      state.rows.forEach(function (row, index) {
        var line = element("tr", { "data-testid": "sku-row" });
        var names = Object.keys(row.options || {});
        var combo = names.length ? names.map(function (name) { return row.options[name]; }).join(" / ") : label("single");
        line.appendChild(element("td", { "class": "cm-sku-combo", translate: "no" }, combo));
        line.appendChild(element("td")).appendChild(input(row, "price", { inputmode: "decimal", "aria-label": label("price") + " " + (index + 1), "data-testid": "sku-price" }));
        line.appendChild(element("td")).appendChild(input(row, "original_price", { inputmode: "decimal", "aria-label": label("original") + " " + (index + 1) }));
        line.appendChild(element("td")).appendChild(input(row, "stock", { inputmode: "numeric", "aria-label": label("stock") + " " + (index + 1), "data-testid": "sku-stock" }));
        line.appendChild(element("td")).appendChild(input(row, "max_per_order", { inputmode: "numeric", "aria-label": label("limit") + " " + (index + 1) }));
        line.appendChild(element("td")).appendChild(input(row, "code", { "aria-label": label("code") + " " + (index + 1), maxlength: "60" }));
        body.appendChild(line);
      });
    }

    state.options.forEach(addOptionRow);
    if (!state.options.length) {
      addOptionRow(null);
    }
    if (!state.rows.length) {
      state.rows = [{ id: null, options: {}, code: productCode(), price: "", original_price: "", stock: "0", max_per_order: "99" }];
      save();
    }
    root.querySelector("[data-add-option]").addEventListener("click", function () {
      addOptionRow(null).querySelector("input").focus();
    });
    root.querySelector("[data-generate]").addEventListener("click", generate);
    draw();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sku-matrix]").forEach(setUp);
  });
})();
