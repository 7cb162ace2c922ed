/* The situation view: the event's grids and its incidents on a Leaflet map (data from the
   json_script block, no inline script), the bars of the roll-up, a reload every minute. */
(function () {
  "use strict";
  document.querySelectorAll(".sit-table .bar").forEach(function (bar) {
    var p = parseFloat(bar.getAttribute("data-percent")) || 0;
    bar.style.width = Math.max(0, Math.min(100, p)) * 0.6 + "px";
  });
  var node = document.getElementById("sit-map");
  var dataNode = document.getElementById("sit-data");
  if (node && dataNode && window.L) {
    var data = JSON.parse(dataNode.textContent);
    var map = L.map(node, { attributionControl: false });
    var bounds = L.latLngBounds([]);
    var layers = [];
    if (data.grids && data.grids.features.length) {
      var grids = L.geoJSON(data.grids, {
        style: function () { return { color: "#3d6fa5", weight: 1, fillColor: "#12233b", fillOpacity: 0.6 }; },
        onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name, { className: "grid-label" }); }
      });
      bounds.extend(grids.getBounds());
      layers.push(grids);
    }
    var many = (data.incidents || []).length > 8;
    (data.incidents || []).forEach(function (i) {
      var m = L.circleMarker([i.lat, i.lng], { radius: 9, color: "#ff7a70", weight: 2, fillColor: "#e0524d", fillOpacity: 0.85 });
      m.bindTooltip(i.number + " " + i.title + " · " + i.state, { permanent: !many });
      bounds.extend([i.lat, i.lng]);
      layers.push(m);
    });
    // The view first: vector layers are drawn in the map's projection.
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [20, 20] }); } else { map.setView([45.77, 131.0], 12); }
    layers.forEach(function (layer) { layer.addTo(map); });
    node.setAttribute("data-count", String((data.incidents || []).length));
    node.setAttribute("data-state", "ready");
  }
  window.setTimeout(function () { window.location.reload(); }, 60000);
})();
