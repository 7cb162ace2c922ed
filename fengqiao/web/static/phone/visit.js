/* 记录走访: a visit to a key person, queued like a report (IndexedDB, one Idempotency-Key) and
   sent in order to the registry's REST API whatever the signal; the page shows this key
   person's queued visits and their state (a refusal stays visible with its reason). */
(function () {
  "use strict";
  var form = document.querySelector("[data-visit-form]");
  if (!form) return;
  var Q = window.FQQueue;
  var L = document.body.dataset;
  var STATES = { waiting: L.lWaiting, sending: L.lSending, done: L.lDone, conflict: L.lConflict, failed: L.lFailed };
  var kp = form.dataset.keyPerson;
  var errorBox = form.querySelector("[data-error]");
  var ok = form.querySelector("[data-ok]");
  var pending = form.querySelector("[data-visit-pending]");

  // The page may come from the cache, made days ago: today is the phone's date.
  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2) + "-" + ("0" + d.getDate()).slice(-2);
  }
  var day = form.elements.visited_on;
  day.max = today();
  if (!day.value || day.value < day.max) day.value = day.max;

  Q.onChange(function (items) {
    var mine = items.filter(function (x) { return x.kind === "visit" && x.keyPerson === kp; });
    var shown = mine.filter(function (x) { return x.state !== "done"; });
    pending.hidden = !shown.length;
    pending.textContent = shown.map(function (x) {
      return x.label + "：" + (STATES[x.state] || x.state) + (x.error ? "（" + x.error + "）" : "");
    }).join("；");
    form.dataset.queued = mine.map(function (x) { return x.state; }).join(" ");  // read by the browser tests
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    var f = form.elements;
    var missing = [f.visited_on, f.findings].filter(function (x) { return !x.value.trim(); });
    if (missing.length) {
      errorBox.hidden = false;
      errorBox.textContent = missing.map(function (x) { return form.querySelector("label[for=" + x.id + "]").textContent; }).join("、");
      missing[0].focus();
      return;
    }
    var data = {
      visited_on: f.visited_on.value,
      method: f.method.value,
      met_in_person: f.met_in_person.checked,
      findings: f.findings.value.trim(),
      risk_found: f.risk_found.checked,
    };
    if (f.risk_level_after && f.risk_level_after.value !== "") data.risk_level_after = parseInt(f.risk_level_after.value, 10);
    var label = form.dataset.label + " · " + form.dataset.name + " · " + data.visited_on;
    Q.add({ kind: "visit", keyPerson: kp, label: label, steps: [{ url: form.dataset.url, json: data }] }).then(function () {
      f.findings.value = "";
      f.visited_on.value = today();
      f.risk_found.checked = false;
      if (f.risk_level_after) f.risk_level_after.value = "";
      ok.hidden = false;
      ok.textContent = L.lQueued;
    });
  });
})();
