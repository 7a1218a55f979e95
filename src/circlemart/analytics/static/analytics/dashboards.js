/* Draws the dashboard's Plotly figures (built in Python, embedded as JSON by json_script) and
   makes the date presets apply at once. No inline script: the page's CSP stays script-src
   'self' for our own code. */
(function () {
  "use strict";

  function draw() {
    var blob = document.getElementById("dashboard-figures");
    if (!blob || !window.Plotly) {
      return;
    }
    var figures = JSON.parse(blob.textContent);
    var config = {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["lasso2d", "select2d", "autoScale2d"],
    };
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var figure = figures[element.getAttribute("data-chart")];
      if (figure) {
        window.Plotly.newPlot(element, figure.data, figure.layout, config);
      }
    });
  }

  function wirePresets() {
    var preset = document.querySelector(".cm-dash-controls select[name=preset]");
    if (!preset) {
      return;
    }
    preset.addEventListener("change", function () {
      var form = preset.form;
      if (preset.value) {
        form.querySelectorAll("input[name=start], input[name=end]").forEach(function (input) {
          input.value = "";
        });
      }
      form.submit();
    });
    // A date typed by hand wins over the preset.
    preset.form.querySelectorAll("input[name=start], input[name=end]").forEach(function (input) {
      input.addEventListener("change", function () {
        preset.value = "";
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wirePresets();
    draw();
  });
})();
