// Note tiles in a waterfall: each tile spans as many small grid rows as it is tall, so the
// columns fill from left to right (newest first reads across) without gaps under short
// tiles, and tiles loaded later by htmx do not move the ones already on screen. Without
// JavaScript the grid is a plain two-column grid. Sizes are set through the CSSOM (allowed by
// the CSP, unlike style attributes).
(function () {
  "use strict";
  var ROW = 4;

  function layout(grid) {
    grid.classList.add("is-waterfall");
    var gap = parseFloat(getComputedStyle(grid).rowGap) || 0;
    var items = grid.children;
    for (var index = 0; index < items.length; index += 1) {
      var item = items[index];
      item.style.gridRowEnd = "";
      var height = item.getBoundingClientRect().height;
      item.style.gridRowEnd = "span " + Math.max(1, Math.ceil((height + gap) / (ROW + gap)));
    }
  }

  function layoutAll() {
    var grids = document.querySelectorAll("[data-waterfall]");
    for (var index = 0; index < grids.length; index += 1) { layout(grids[index]); }
  }

  var pending = null;
  function soon() {
    if (pending) { return; }
    pending = window.requestAnimationFrame(function () { pending = null; layoutAll(); });
  }

  document.addEventListener("load", function (event) {
    if (event.target && event.target.tagName === "IMG") { soon(); }
  }, true);
  window.addEventListener("resize", soon);
  document.body.addEventListener("htmx:afterSettle", soon);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", layoutAll);
  } else {
    layoutAll();
  }
})();

// Note gallery: the dots under a swipeable gallery follow the picture on screen.
(function () {
  "use strict";
  var galleries = document.querySelectorAll("[data-testid=note-gallery]");
  Array.prototype.forEach.call(galleries, function (gallery) {
    var dots = gallery.parentNode.querySelectorAll(".gallery-dots li");
    if (!dots.length) { return; }
    function mark() {
      var index = Math.round(gallery.scrollLeft / Math.max(1, gallery.clientWidth));
      Array.prototype.forEach.call(dots, function (dot, position) {
        dot.classList.toggle("active", position === index);
      });
    }
    gallery.addEventListener("scroll", mark, { passive: true });
    mark();
  });
})();
