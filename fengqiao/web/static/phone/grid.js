/* 我的网格: my grids' outlines and their open cases (data cached by the service worker). */
(function () {
  "use strict";
  var node = document.getElementById("p-map");
  if (!node || !window.L) return;
  var map = L.map(node, { attributionControl: false });
  map.setView([45.78, 131.0], 13);
  if (node.dataset.tileUrl) L.tileLayer(node.dataset.tileUrl, { maxZoom: 18, subdomains: node.dataset.tileSubdomains || "abc" }).addTo(map);
  var list = document.querySelector("[data-case-list]");
  fetch(node.dataset.url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    var layer = L.geoJSON(data, {
      style: function () { return { color: "#8f1d16", weight: 2, fillOpacity: 0.12 }; },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 8, color: "#0b57d0" }); },
      onEachFeature: function (f, lyr) { lyr.bindTooltip(f.properties.name); },
    }).addTo(map);
    if (layer.getLayers().length) map.fitBounds(layer.getBounds(), { padding: [12, 12] });
    data.features.filter(function (f) { return f.properties.kind === "case"; }).forEach(function (f) {
      var li = document.createElement("li");
      li.className = "p-card";
      li.textContent = f.properties.number + " · " + f.properties.name + " · " + f.properties.state;
      list.appendChild(li);
    });
    node.dataset.state = "ready";
    node.dataset.count = data.features.length;
  }).catch(function () { node.dataset.state = "error"; });
})();
