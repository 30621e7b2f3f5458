// Draws every chart of a page with chart.js (loaded before this file). A chart is a
// <canvas data-chart="ID"> plus <script type="application/json" id="ID"> holding its chart.js
// configuration ({type, data, options}) as plain JSON: no inline script runs (the CSP forbids it),
// and every chart has a <table> with the same figures next to it for screen readers and tests.
(function () {
  "use strict";
  function draw(root) {
    if (typeof window.Chart !== "function") return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-chart"));
      if (!source) return;
      var existing = window.Chart.getChart(canvas);
      if (existing) existing.destroy();
      var config = JSON.parse(source.textContent || "{}");
      config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
      new window.Chart(canvas, config);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  // Parts of a page swapped in by htmx may hold charts too.
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
