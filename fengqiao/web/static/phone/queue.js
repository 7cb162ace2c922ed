/* The offline queue: writes made without signal are kept in IndexedDB and sent in order, each
   with its own Idempotency-Key, when the signal returns (the server runs each key once).
   Item states: waiting → sending → done | conflict (the case changed meanwhile) | failed. */
(function () {
  "use strict";
  var DB = "fengqiao-queue", STORE = "items";
  var dbPromise = null;
  var draining = false;
  var listeners = [];

  function open() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DB, 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }

  function tx(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var out = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }

  function all() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return items.sort(function (a, b) { return a.id - b.id; });
    });
  }
  function put(item) { return tx("readwrite", function (s) { return s.put(item); }); }
  function remove(id) { return tx("readwrite", function (s) { return s.delete(id); }); }

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  function changed() { all().then(function (items) { listeners.forEach(function (fn) { fn(items); }); }); }

  /* item: {kind, label, steps: [{url, method, json | form, key}], ...}; a step's url may hold
     "{case}", replaced by the id the first step answered (a report's photos). */
  function add(item) {
    item.state = "waiting";
    item.created = new Date().toISOString();
    item.key = item.key || uuid();
    item.done = 0;
    (item.steps || []).forEach(function (step, i) { step.key = step.key || item.key + "-" + i; });
    return put(item).then(function (id) { item.id = id; changed(); drain(); return item; });
  }

  function csrf() { return document.body.dataset.csrf || ""; }

  function body(step) {
    if (step.json) return JSON.stringify(step.json);
    var fd = new FormData();
    (step.form || []).forEach(function (pair) {
      if (pair[1] instanceof Blob) fd.append(pair[0], pair[1], pair[2] || "photo.jpg");
      else fd.append(pair[0], pair[1]);
    });
    return fd;
  }

  function send(item, step) {
    var headers = { "Idempotency-Key": step.key, "X-CSRFToken": csrf() };
    if (step.json) headers["Content-Type"] = "application/json";
    if (step.accept) headers.Accept = step.accept;
    var url = step.url.replace("{case}", item.caseId || "");
    return fetch(url, { method: "POST", headers: headers, body: body(step), credentials: "same-origin" });
  }

  function errorOf(res) {
    return res.text().then(function (text) {
      try {
        var e = JSON.parse(text).errors || [];
        return { code: (e[0] || {}).code || "", message: e.map(function (x) { return x.message; }).join(" ") };
      } catch (err) { return { code: "", message: res.status + "" }; }
    });
  }

  // Send every waiting item in order; stop at the first that cannot reach the server.
  function drain() {
    if (draining || !navigator.onLine) return Promise.resolve();
    draining = true;
    return all().then(function (items) {
      var todo = items.filter(function (x) { return x.state === "waiting" || x.state === "sending"; });
      function next(i) {
        if (i >= todo.length) return Promise.resolve();
        return sendItem(todo[i]).then(function (ok) { return ok ? next(i + 1) : null; });
      }
      return next(0);
    }).catch(function () {}).then(function () { draining = false; changed(); });
  }

  // Resolves true to go on with the next item, false to stop (no signal, or the key is busy).
  function sendItem(item) {
    item.state = "sending";
    return put(item).then(changed).then(function step() {
      if (item.done >= item.steps.length) {
        item.state = "done";
        return put(item).then(function () { return true; });
      }
      var s = item.steps[item.done];
      return send(item, s).then(function (res) {
        if (res.ok) {
          return (s.html ? res.text().then(function (t) { return { html: t }; }) : res.json()).then(function (data) {
            if (item.done === 0) {
              item.result = data.html !== undefined ? { number: numberIn(data.html) } :
                { id: data.id, number: data.tracking_number || (item.result || {}).number };
              if (data.id) item.caseId = data.id;
            }
            item.done += 1;
            return put(item).then(step);
          });
        }
        return errorOf(res).then(function (e) {
          if (res.status === 409 && e.code === "idempotency_key_in_use") {
            item.state = "waiting";
            return put(item).then(function () { return false; });
          }
          item.state = res.status === 409 ? "conflict" : "failed";
          item.error = e.message;
          return put(item).then(function () { return true; });
        });
      }, function () {
        item.state = "waiting";  // no signal: try again when it returns
        return put(item).then(function () { return false; });
      });
    });
  }

  function numberIn(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var el = doc.querySelector("#tracking-number");
    return el ? el.textContent.trim() : "";
  }

  window.addEventListener("online", function () { drain(); });
  setInterval(function () { if (navigator.onLine) drain(); }, 5000);

  window.FQQueue = {
    add: add, all: all, drain: drain, remove: remove, put: put,
    onChange: function (fn) { listeners.push(fn); changed(); },
    clearDone: function () {
      return all().then(function (items) {
        return Promise.all(items.filter(function (x) { return x.state === "done"; })
          .map(function (x) { return remove(x.id); }));
      }).then(changed);
    },
  };
})();
