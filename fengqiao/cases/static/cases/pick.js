/* Point picker of the intake, patrol and public report forms: tap the map, use the phone's
   location (navigator.geolocation) or type the coordinates; the three stay in step.
   Tells htmx "point-changed" on the form so duplicate suggestions refresh. */
(function () {
  "use strict";

  function init(box) {
    var form = box.closest("form");
    var lon = form.querySelector("[name=lon]");
    var lat = form.querySelector("[name=lat]");
    var msg = box.querySelector(".locate-msg");
    var mapNode = box.querySelector("[data-pick-map]");
    var map = null;
    var marker = null;

    function changed() {
      if (window.htmx) window.htmx.trigger(form, "point-changed");
    }

    function place(lt, ln, pan) {
      if (!map) return;
      var ll = [lt, ln];
      if (marker) marker.setLatLng(ll);
      else marker = L.marker(ll).addTo(map);
      if (pan) map.setView(ll, Math.max(map.getZoom(), 15));
    }

    function set(lt, ln) {
      lat.value = lt.toFixed(6);
      lon.value = ln.toFixed(6);
      place(lt, ln, true);
      changed();
    }

    if (mapNode && window.L) {
      map = L.map(mapNode, { attributionControl: !!mapNode.dataset.tileUrl });
      map.setView([45.775, 131.005], 13);
      var names = null;
      window.fqBasemap.start(map, mapNode, function () { if (names) names.addTo(map); });
      if (mapNode.dataset.grids) {
        fetch(mapNode.dataset.grids, { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .then(function (data) {
            if (!data || !data.features || !data.features.length) return;
            var layer = L.geoJSON(data, {
              style: { color: "#b3261e", weight: 1, fillOpacity: 0.08 },
              interactive: false,
            }).addTo(map);
            if (!marker) map.fitBounds(layer.getBounds());
            names = window.fqBasemap.names(map, layer);
            if (mapNode.dataset.basemap === "outline") names.addTo(map);
          })
          .catch(function () {});
      }
      map.on("click", function (e) { set(e.latlng.lat, e.latlng.lng); });
      var lt0 = parseFloat(lat.value), ln0 = parseFloat(lon.value);
      if (isFinite(lt0) && isFinite(ln0)) place(lt0, ln0, true);
    }

    [lon, lat].forEach(function (input) {
      input.addEventListener("input", function () {
        var lt = parseFloat(lat.value), ln = parseFloat(lon.value);
        if (isFinite(lt) && isFinite(ln)) place(lt, ln, true);
      });
      input.addEventListener("change", function () {
        var lt = parseFloat(lat.value), ln = parseFloat(lon.value);
        if (isFinite(lt) && isFinite(ln)) { place(lt, ln, true); changed(); }
      });
    });

    var button = box.querySelector("[data-locate]");
    if (button) {
      button.addEventListener("click", function () {
        if (!navigator.geolocation) { msg.textContent = button.dataset.lDenied; return; }
        navigator.geolocation.getCurrentPosition(
          function (pos) { msg.textContent = ""; set(pos.coords.latitude, pos.coords.longitude); },
          function () { msg.textContent = button.dataset.lDenied; },
          { enableHighAccuracy: true, timeout: 10000 }
        );
      });
    }
  }

  document.querySelectorAll("[data-point-picker]").forEach(init);
})();
