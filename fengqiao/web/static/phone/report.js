/* 上报: category, place (GPS or a tap on the map), text, photos, parties, resolved on the spot;
   queued and sent as one case (then its photos), whatever the signal. */
(function () {
  "use strict";
  var form = document.querySelector("[data-report-form]");
  if (!form) return;
  var mapNode = document.getElementById("r-map");
  var lon = form.elements.lon, lat = form.elements.lat;
  var pointNote = form.querySelector("[data-point]");
  var marker = null, map = null;
  // From 我的网格's "report about this household": the household's address.
  var given = new URLSearchParams(location.search).get("address");
  if (given && form.elements.address && !form.elements.address.value) form.elements.address.value = given.slice(0, 200);

  function setPoint(x, y) {
    lon.value = x.toFixed(6);
    lat.value = y.toFixed(6);
    pointNote.textContent = lat.value + ", " + lon.value;
    if (map) {
      if (marker) marker.setLatLng([y, x]); else marker = L.circleMarker([y, x], { radius: 9, color: "#8f1d16" }).addTo(map);
    }
  }

  if (window.L && mapNode) {
    map = L.map(mapNode, { attributionControl: false });
    var c = [parseFloat(mapNode.dataset.lat || "45.78"), parseFloat(mapNode.dataset.lon || "131.0")];
    map.setView(c, 15);
    if (mapNode.dataset.tileUrl) L.tileLayer(mapNode.dataset.tileUrl, { maxZoom: 18, subdomains: mapNode.dataset.tileSubdomains || "abc" }).addTo(map);
    map.on("click", function (e) { setPoint(e.latlng.lng, e.latlng.lat); });
    mapNode.dataset.state = "ready";
  }

  form.querySelector("[data-gps]").addEventListener("click", function () {
    if (!navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.longitude, pos.coords.latitude);
      if (map) map.setView([pos.coords.latitude, pos.coords.longitude], 17);
    }, function () {}, { enableHighAccuracy: true, timeout: 10000 });
  });

  var spot = form.querySelector("[data-on-the-spot]");
  var outcomeBox = form.querySelector("[data-outcome-box]");
  spot.addEventListener("change", function () { outcomeBox.hidden = !spot.checked; });

  var photos = [];
  var note = form.querySelector("[data-photo-note]");
  form.querySelector("[data-photos]").addEventListener("change", function (ev) {
    window.FQPhotos.compressAll(ev.target.files).then(function (blobs) {
      photos = blobs;
      note.textContent = blobs.map(function (b) { return Math.round(b.size / 1024) + " KB"; }).join("、");
      note.dataset.count = blobs.length;
    });
  });

  var errorBox = form.querySelector("[data-error]");
  var ok = form.querySelector("[data-ok]");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    errorBox.hidden = true;
    var f = form.elements;
    var missing = [f.category, f.description].filter(function (x) { return !x.value.trim(); });
    if (spot.checked && !f.outcome.value.trim()) missing.push(f.outcome);
    if (missing.length) {
      errorBox.hidden = false;
      errorBox.textContent = missing.map(function (x) { return form.querySelector("label[for=" + x.id + "]").textContent; }).join("、");
      missing[0].focus();
      return;
    }
    var description = f.description.value.trim();
    var data = {
      channel: form.dataset.channel, category: f.category.value, description: description,
      title: description.slice(0, 30), address: f.address.value.trim(),
    };
    if (lon.value && lat.value) { data.lon = parseFloat(lon.value); data.lat = parseFloat(lat.value); }
    var names = form.querySelectorAll("[name=party_name]");
    var parties = [];
    names.forEach(function (n, i) {
      if (!n.value.trim()) return;
      var p = { party_type: "person", role: i === 0 ? "applicant" : "respondent", name: n.value.trim() };
      if (i === 0 && f.party_phone.value.trim()) p.phone = f.party_phone.value.trim();
      parties.push(p);
    });
    if (parties.length) data.parties = parties;
    if (spot.checked) data.outcome = f.outcome.value.trim();
    var steps = [{ url: spot.checked ? "/api/v1/cases/on-the-spot/" : "/api/v1/cases/", json: data }];
    photos.forEach(function (blob, i) {
      steps.push({ url: "/api/v1/cases/{case}/attachments/", form: [["file", blob, "photo-" + (i + 1) + ".jpg"]] });
    });
    window.FQQueue.add({ kind: "report", label: data.title, steps: steps }).then(function () {
      form.reset();
      photos = [];
      note.textContent = "";
      outcomeBox.hidden = true;
      lon.value = lat.value = "";
      ok.hidden = false;
      ok.textContent = document.body.dataset.lQueued;
    });
  });
})();
