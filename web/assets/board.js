// The Tablero's behaviour beyond htmx (loaded after it, deferred):
// - drag and drop (native HTML5): a card dropped on another column sets its "Mover a…" select and
//   submits that same form, so dragging and the keyboard share one endpoint and one code path;
// - after a move, focus goes back to the moved card;
// - live refresh: live.js dispatches `prospecta:leads` on document ({moved: [{lead_id, from, to, actor}],
//   created: [ids]}); the columns it touches are read again under the board's filters, debounced.
// No inline scripts (CSP): everything is wired here through delegation, so a board swapped in by the
// filters works without wiring again.
(function () {
  "use strict";

  var REFRESH_DELAY_MS = 500;
  var dragged = null;

  function cardOf(node) {
    return node && node.closest ? node.closest("li.tarjeta[draggable]") : null;
  }
  function columnOf(node) {
    return node && node.closest ? node.closest("section.columna") : null;
  }
  function clearTargets() {
    document.querySelectorAll("section.columna.destino").forEach(function (column) {
      column.classList.remove("destino");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = cardOf(event.target);
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-lead"));
    card.classList.add("arrastrando");
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("arrastrando");
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (event) {
    var column = columnOf(event.target);
    if (!column || !dragged) return;
    event.preventDefault(); // a drop target
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("destino")) {
      clearTargets();
      column.classList.add("destino");
    }
  });

  document.addEventListener("drop", function (event) {
    var column = columnOf(event.target);
    var card = dragged;
    if (!column || !card) return;
    event.preventDefault();
    dragged = null;
    card.classList.remove("arrastrando");
    clearTargets();
    var stage = column.getAttribute("data-etapa");
    if (stage === card.getAttribute("data-etapa")) return;
    var form = card.querySelector("form.mover");
    var select = form && form.querySelector("select[name=etapa]");
    if (!select) return;
    select.value = stage;
    form.requestSubmit();
  });

  // A moved card arrives marked data-enfocar: focus its "Mover a…" control, so the keyboard stays on it.
  document.addEventListener("htmx:afterSettle", function () {
    var arrived = document.querySelector("li.tarjeta[data-enfocar]");
    if (!arrived) return;
    arrived.removeAttribute("data-enfocar");
    var select = arrived.querySelector("select[name=etapa]");
    if (select) select.focus();
  });

  // Live refresh: the columns a change elsewhere touched, read again with the board's filters.
  var pending = {};
  var timer = null;

  function refreshColumn(stage) {
    var board = document.getElementById("tablero");
    var column = document.getElementById("columna-" + stage);
    if (!board || !column || typeof window.htmx === "undefined") return;
    var filters = board.getAttribute("data-filtros") || "";
    var focused = column.contains(document.activeElement) ? cardOf(document.activeElement) : null;
    var focusedId = focused ? focused.id : null;
    window.htmx
      .ajax("GET", "/admin/tablero/columna/" + encodeURIComponent(stage) + (filters ? "?" + filters : ""), { target: "#columna-" + stage, swap: "outerHTML" })
      .then(function () {
        // The person was on a card of this column: back to it if it is still there.
        var again = focusedId && document.getElementById(focusedId);
        var select = again && again.querySelector("select[name=etapa]");
        if (select) select.focus();
      });
  }

  function schedule(stage) {
    if (!stage) return;
    pending[stage] = true;
    if (timer) return;
    timer = setTimeout(function () {
      var stages = Object.keys(pending);
      pending = {};
      timer = null;
      stages.forEach(refreshColumn);
    }, REFRESH_DELAY_MS);
  }

  document.addEventListener("prospecta:leads", function (event) {
    var detail = event.detail || {};
    (detail.moved || []).forEach(function (move) {
      // Already shown where it went (a move made on this page): nothing to read again.
      var card = document.getElementById("lead-" + move.lead_id);
      var column = columnOf(card);
      if (card && column && column.getAttribute("data-etapa") === move.to) return;
      schedule(move.from);
      schedule(move.to);
    });
    // New leads start in Entrada.
    if ((detail.created || []).length) schedule("entrada");
  });

  // The board can take drops from here on (the listeners above are on document): bench:dashboard reads this mark.
  if (window.performance && performance.mark) performance.mark("tablero-listo");
})();
