// The dashboard's live updates: one EventSource per page on /admin/eventos, whose events are
// re-dispatched on document as CustomEvents, so each page's own script reacts to what concerns it:
//   prospecta:leads     detail {moved:[{lead_id,from,to,actor}], created:[id], handoff:[{lead_id,on}]}
//   prospecta:messages  detail {items:[{lead_id,id,direction}]}
//   prospecta:live-open the stream (re)connected: events may have been missed while it was down.
// Events carry ids only; pages fetch what they show through their ordinary routes.
(function () {
  "use strict";
  if (typeof window.EventSource !== "function" || window.prospectaLive) return;
  var source = new EventSource("/admin/eventos");
  window.prospectaLive = source;
  ["leads", "messages"].forEach(function (type) {
    source.addEventListener(type, function (event) {
      var detail;
      try {
        detail = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      document.dispatchEvent(new CustomEvent("prospecta:" + type, { detail: detail }));
    });
  });
  source.addEventListener("open", function () {
    document.dispatchEvent(new CustomEvent("prospecta:live-open"));
  });
})();
