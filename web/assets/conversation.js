// Conversaciones, live (the events come from live.js):
// - a thread (#hilo) appends the lead's new messages, fetched as HTML after the last one shown, and
//   updates its controls when the chat changes hands elsewhere (another tab, the bot, /asesor);
// - the list (#lista-conversaciones) is fetched again when chats move, so it stays in order.
(function () {
  "use strict";

  function fragment(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  function get(url) {
    return fetch(url, { credentials: "same-origin", headers: { accept: "text/html" } }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.text();
    });
  }

  /** Runs `work` (which returns a promise) one at a time; a call during a run runs it once more after. */
  function serialized(work) {
    var busy = false;
    var again = false;
    return function run() {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      work()
        .catch(function () {})
        .then(function () {
          busy = false;
          if (again) {
            again = false;
            run();
          }
        });
    };
  }

  function threadPage(thread) {
    var leadId = Number(thread.getAttribute("data-lead"));
    var base = "/admin/conversaciones/" + leadId;

    function lastId() {
      var last = 0;
      thread.querySelectorAll("li[data-id]").forEach(function (item) {
        last = Math.max(last, Number(item.getAttribute("data-id")));
      });
      return last;
    }

    function scrollToEnd() {
      thread.scrollTop = thread.scrollHeight;
    }

    var fetchNew = serialized(function () {
      return get(base + "/mensajes?despues=" + lastId()).then(function (html) {
        fragment(html).querySelectorAll("li[data-id]").forEach(function (item) {
          if (!thread.querySelector('li[data-id="' + item.getAttribute("data-id") + '"]')) thread.appendChild(item);
        });
        scrollToEnd();
      });
    });

    // Only when the chat changed hands: a person typing keeps the text.
    var refreshControls = serialized(function () {
      return get(base + "/controles").then(function (html) {
        var current = document.getElementById("controles");
        var next = fragment(html).getElementById("controles");
        if (!current || !next || current.getAttribute("data-tomada") === next.getAttribute("data-tomada")) return;
        current.replaceWith(next);
        if (window.htmx) window.htmx.process(next);
      });
    });

    document.addEventListener("prospecta:messages", function (event) {
      if (event.detail.items.some(function (item) { return item.lead_id === leadId; })) fetchNew();
    });
    document.addEventListener("prospecta:leads", function (event) {
      if (event.detail.handoff.some(function (change) { return change.lead_id === leadId; })) refreshControls();
    });
    // The stream (re)connected: anything written while it was down is fetched now.
    document.addEventListener("prospecta:live-open", fetchNew);
    // A change made on this page (HX-Trigger from tomar / mensajes / devolver).
    document.addEventListener("prospecta:hilo", fetchNew);
    scrollToEnd();
  }

  function listPage(list) {
    var timer = null;
    var refresh = serialized(function () {
      return get("/admin/conversaciones/lista").then(function (html) {
        var focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.getAttribute("href") : null;
        list.innerHTML = html;
        if (focused) {
          var again = list.querySelector('a[href="' + focused + '"]');
          if (again) again.focus();
        }
      });
    });
    // Several events in a burst (a campaign, a busy chat) refresh the list once.
    function soon() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(refresh, 500);
    }
    document.addEventListener("prospecta:messages", soon);
    document.addEventListener("prospecta:leads", function (event) {
      if (event.detail.handoff.length > 0) soon();
    });
    document.addEventListener("prospecta:live-open", soon);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var thread = document.getElementById("hilo");
    var list = document.getElementById("lista-conversaciones");
    if (thread) threadPage(thread);
    else if (list) listPage(list);
  });
})();
