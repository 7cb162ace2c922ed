/* Map of cases: points from the scoped GeoJSON endpoint, overdue ones in red. */
(function () {
  "use strict";
  var node = document.querySelector("[data-case-map]");
  if (!node || !window.L) return;
  var map = L.map(node, { attributionControl: !!node.dataset.tileUrl });
  map.setView([45.775, 131.005], 12);
  if (node.dataset.tileUrl) {
    L.tileLayer(node.dataset.tileUrl, { attribution: node.dataset.tileAttribution || "", maxZoom: 19 }).addTo(map);
  }
  function popup(p) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = p.tracking_number + " " + p.title;
    box.appendChild(title);
    var meta = document.createElement("div");
    meta.textContent = p.category + " · " + p.state;
    box.appendChild(meta);
    var a = document.createElement("a");
    a.href = p.url;
    a.textContent = node.dataset.lOpen;
    box.appendChild(a);
    return box;
  }
  fetch(node.dataset.geojson, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var layer = L.geoJSON(data, {
        pointToLayer: function (f, ll) {
          var late = f.properties.overdue;
          return L.circleMarker(ll, { radius: 7, color: late ? "#b3261e" : "#1d5fa8", fillOpacity: 0.7 });
        },
        onEachFeature: function (f, lyr) { lyr.bindPopup(function () { return popup(f.properties); }); },
      }).addTo(map);
      if (data.features.length) map.fitBounds(layer.getBounds().pad(0.2));
      else {
        var c = L.control({ position: "topright" });
        c.onAdd = function () { var d = document.createElement("div"); d.className = "map-notice"; d.textContent = node.dataset.lEmpty; return d; };
        c.addTo(map);
      }
    });
})();
