/* The resident's report on a phone: photos made smaller on the phone (≤ 1600 px, JPEG), and a
   report made without signal kept in the same offline queue and sent when the signal returns. */
(function () {
  "use strict";
  var form = document.querySelector("form.report-form");
  var box = document.querySelector("[data-public-queue]");
  if (!form || !box || !window.FQQueue) return;
  var L = box.dataset;
  var STATES = { waiting: L.lWaiting, sending: L.lSending, done: L.lDone, conflict: L.lFailed, failed: L.lFailed };
  if ("serviceWorker" in navigator && L.sw) {
    navigator.serviceWorker.register(L.sw, { scope: L.scope }).catch(function () {});
  }
  var list = box.querySelector("ol");
  window.FQQueue.onChange(function (items) {
    items = items.filter(function (x) { return x.kind === "public_report"; });
    box.hidden = !items.length;
    list.textContent = "";
    items.forEach(function (x) {
      var li = document.createElement("li");
      li.dataset.state = x.state;
      li.textContent = x.label + " · " + (STATES[x.state] || x.state) +
        (x.result && x.result.number ? " · " + L.lNumber + " " + x.result.number : "") + (x.error ? " · " + x.error : "");
      list.appendChild(li);
    });
  });
  // With signal the form is sent as it is (the server answers with the tracking number, or
  // names what to fix, field by field); the photos are made smaller first. Without signal the
  // report waits in the queue.
  function sendNow(files) {
    window.FQPhotos.compressAll(files ? files.files : []).then(function (blobs) {
      if (files && blobs.length && window.DataTransfer) {
        var dt = new DataTransfer();
        blobs.forEach(function (b, i) { dt.items.add(new File([b], "photo-" + (i + 1) + ".jpg", { type: "image/jpeg" })); });
        files.files = dt.files;
      }
      form.submit();  // no submit event: not caught here again
    }, function () { form.submit(); });
  }
  form.addEventListener("submit", function (ev) {
    if (!form.checkValidity()) return;  // the browser shows what is missing
    ev.preventDefault();
    var files = form.querySelector("input[type=file]");
    if (navigator.onLine) { sendNow(files); return; }
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (!(value instanceof Blob)) pairs.push([name, value]);
    });
    window.FQPhotos.compressAll(files ? files.files : []).then(function (blobs) {
      blobs.forEach(function (b, i) { pairs.push([files.name, b, "photo-" + (i + 1) + ".jpg"]); });
      var text = (form.elements.description.value || "").trim().slice(0, 30);
      return window.FQQueue.add({ kind: "public_report", label: text, steps: [{ url: form.action || location.pathname, form: pairs, html: true }] });
    }).then(function () {
      form.reset();
      box.querySelector("[data-saved]").hidden = false;
    });
  });
})();
