/* The phone app: service worker, the queue's badge and list, the task buttons of 今日. */
(function () {
  "use strict";
  var body = document.body;
  var L = body.dataset;
  var Q = window.FQQueue;
  var STATES = { waiting: L.lWaiting, sending: L.lSending, done: L.lDone, conflict: L.lConflict, failed: L.lFailed };

  if ("serviceWorker" in navigator && L.sw) {
    navigator.serviceWorker.register(L.sw, { scope: L.scope }).catch(function () {});
  }

  // Ask the service worker to keep these visit forms for offline use (those it has not yet).
  function keepVisitForms(urls) {
    if (!urls.length || !("serviceWorker" in navigator) || !navigator.onLine) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) reg.active.postMessage({ type: "keep-visit-forms", urls: urls });
    }).catch(function () {});
  }
  window.FQApp = { keepVisitForms: keepVisitForms };
  keepVisitForms(Array.prototype.map.call(document.querySelectorAll("a[data-visit-link]"), function (a) {
    return a.getAttribute("href");
  }));

  function showOffline() {
    var p = document.querySelector("[data-offline]");
    if (!p) return;
    p.hidden = navigator.onLine;
    p.textContent = L.lOffline;
  }
  window.addEventListener("online", showOffline);
  window.addEventListener("offline", showOffline);
  showOffline();

  function el(tag, text, cls) {
    var n = document.createElement(tag);
    if (text) n.textContent = text;
    if (cls) n.className = cls;
    return n;
  }

  Q.onChange(function (items) {
    var open = items.filter(function (x) { return x.state !== "done"; });
    body.dataset.queueOpen = open.length;  // read by the browser tests
    body.dataset.queueTotal = items.length;
    body.dataset.queueStates = items.map(function (x) { return x.state; }).join(" ");
    var badge = document.querySelector("[data-queue-badge]");
    if (badge) {
      badge.hidden = !open.length;
      badge.querySelector("[data-queue-count]").textContent = open.length;
    }
    var list = document.querySelector("[data-queue-list]");
    if (list) {
      list.textContent = "";
      items.forEach(function (x) {
        var li = el("li", null, "p-queue-item is-" + x.state);
        li.dataset.state = x.state;
        li.appendChild(el("span", x.label, "p-queue-label"));
        li.appendChild(el("span", STATES[x.state] || x.state, "p-badge"));
        if (x.result && x.result.number) li.appendChild(el("span", x.result.number, "p-meta"));
        if (x.error) li.appendChild(el("p", x.error, "p-error"));
        list.appendChild(li);
      });
      var st = document.querySelector("[data-sync-state]");
      if (st) st.textContent = (navigator.onLine ? "" : L.lOffline + " · ") + open.length + " / " + items.length;
    }
    var mine = document.querySelector("[data-queued-reports]");
    if (mine) {
      mine.textContent = "";
      items.filter(function (x) { return x.kind === "report" && x.state !== "done"; }).forEach(function (x) {
        var li = el("li", null, "p-card");
        li.appendChild(el("span", STATES[x.state], "p-badge"));
        li.appendChild(el("h3", x.label));
        mine.appendChild(li);
      });
    }
    // A task with a queued change shows it, so the page tells the truth without signal.
    document.querySelectorAll("[data-task]").forEach(function (card) {
      var pending = items.filter(function (x) { return x.kind === "task" && x.task === card.dataset.task && x.state !== "done"; });
      var p = card.querySelector("[data-pending]");
      p.hidden = !pending.length;
      p.textContent = pending.map(function (x) { return x.label + "：" + STATES[x.state]; }).join("；");
    });
  });

  var sync = document.querySelector("[data-sync-now]");
  if (sync) sync.addEventListener("click", function () { Q.drain(); });
  var clear = document.querySelector("[data-clear-done]");
  if (clear) clear.addEventListener("click", function () { Q.clearDone(); });

  // The version the next change of a case should expect: the page's, moved on by each change
  // queued since (each task action moves a case's version by one).
  function expected(card) {
    var key = "fq-version-" + card.dataset.case;
    var page = parseInt(card.dataset.version, 10);
    var known = parseInt(localStorage.getItem(key) || "0", 10);
    var v = Math.max(page, known);
    localStorage.setItem(key, String(v + 1));
    return v;
  }

  function queueTask(card, action, label, extra) {
    var caseId = card.dataset.case, task = card.dataset.task;
    var step = action === "note"
      ? { url: "/api/v1/cases/" + caseId + "/notes/", json: { text: extra.text, task: parseInt(task, 10), expected_version: expected(card) } }
      : { url: "/api/v1/cases/" + caseId + "/tasks/" + task + "/" + action + "/", json: Object.assign({ expected_version: expected(card) }, extra || {}) };
    return Q.add({ kind: "task", task: task, label: label + " · " + card.querySelector("h3").textContent, steps: [step] });
  }

  document.querySelectorAll("[data-task]").forEach(function (card) {
    card.querySelectorAll("[data-task-action]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        btn.disabled = true;
        queueTask(card, btn.dataset.taskAction, btn.textContent.trim());
      });
    });
    card.querySelectorAll("[data-task-form]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var area = form.querySelector("textarea");
        var text = area.value.trim();
        if (!text) { area.focus(); return; }
        var kind = form.dataset.taskForm;
        var label = form.querySelector("button").textContent.trim();
        queueTask(card, kind, label, kind === "note" ? { text: text } : { result: text }).then(function () {
          area.value = "";
        });
      });
    });
  });
})();
