/* 应急任务 and 报到 on 今日: accepting or completing an emergency task and checking in are queued
   like the other writes (IndexedDB, one Idempotency-Key each) and sent in order to the emergency
   REST API whatever the signal; a refusal (409: the task moved on meanwhile) stays visible. */
(function () {
  "use strict";
  var Q = window.FQQueue;
  var L = document.body.dataset;
  var STATES = { waiting: L.lWaiting, sending: L.lSending, done: L.lDone, conflict: L.lConflict, failed: L.lFailed };

  function shown(items) {
    return items.map(function (x) {
      return x.label + "：" + (STATES[x.state] || x.state) + (x.error ? "（" + x.error + "）" : "");
    }).join("；");
  }

  Q.onChange(function (items) {
    document.querySelectorAll("[data-emtask]").forEach(function (card) {
      var mine = items.filter(function (x) { return x.kind === "emtask" && x.task === card.dataset.emtask; });
      var open = mine.filter(function (x) { return x.state !== "done"; });
      var p = card.querySelector("[data-pending]");
      p.hidden = !open.length;
      p.textContent = shown(open);
      card.dataset.queued = mine.map(function (x) { return x.state; }).join(" ");  // read by the browser tests
    });
    document.querySelectorAll("[data-checkin-form]").forEach(function (form) {
      var mine = items.filter(function (x) { return x.kind === "checkin" && x.url === form.dataset.url; });
      var open = mine.filter(function (x) { return x.state !== "done"; });
      var p = form.querySelector("[data-checkin-pending]");
      p.hidden = !open.length;
      p.textContent = shown(open);
      form.dataset.queued = mine.map(function (x) { return x.state; }).join(" ");
    });
  });

  document.querySelectorAll("[data-emtask]").forEach(function (card) {
    var title = card.querySelector("h3").textContent;
    var form = card.querySelector("[data-emtask-complete]");
    var accept = card.querySelector("[data-emtask-accept]");
    if (accept) {
      accept.addEventListener("click", function () {
        accept.disabled = true;
        Q.add({ kind: "emtask", task: card.dataset.emtask, label: accept.textContent.trim() + " · " + title,
                steps: [{ url: card.dataset.acceptUrl, json: {} }] }).then(function () {
          accept.hidden = true;
          form.hidden = false;  // completing is queued after the acceptance, sent in order
        });
      });
    }
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var area = form.querySelector("textarea");
      var text = area.value.trim();
      if (!text) { area.focus(); return; }
      var btn = form.querySelector("button");
      btn.disabled = true;
      Q.add({ kind: "emtask", task: card.dataset.emtask, label: btn.textContent.trim() + " · " + title,
              steps: [{ url: card.dataset.completeUrl, json: { result: text } }] }).then(function () {
        area.value = "";
        form.hidden = true;
      });
    });
  });

  // The position, if asked for and given within a few seconds; the check-in goes without it else.
  function position(wanted) {
    if (!wanted || !("geolocation" in navigator)) return Promise.resolve(null);
    return new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(function (p) {
        resolve({ lat: Math.round(p.coords.latitude * 1e6) / 1e6, lng: Math.round(p.coords.longitude * 1e6) / 1e6 });
      }, function () { resolve(null); }, { timeout: 8000, maximumAge: 60000 });
    });
  }

  document.querySelectorAll("[data-checkin-form]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var btn = form.querySelector("button");
      btn.disabled = true;
      var note = form.elements.note.value.trim();
      position(form.elements.where.checked).then(function (where) {
        var data = { note: note };
        if (where) { data.lat = where.lat; data.lng = where.lng; }
        return Q.add({ kind: "checkin", url: form.dataset.url, label: form.dataset.label,
                       steps: [{ url: form.dataset.url, json: data }] });
      }).then(function () {
        form.elements.note.value = "";
        btn.disabled = false;
      });
    });
  });
})();
