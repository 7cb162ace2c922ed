/* Map of cases: points from the scoped GeoJSON endpoint, overdue ones in red. */
(function () {
  "use strict";
  var node = document.querySelector("[data-case-map]");
  if (!node || !window.L) return;
  var map = L.map(node, { attributionControl: !!node.dataset.tileUrl });
  map.setView([45.775, 131.005], 12);
  // The grid outlines (outline base map) and the case points load in either order: with no
  // located case the view is the grids', whichever of the two answers last.
  var gridLayer = null;
  function fitGrids() {
    if (gridLayer && node.dataset.points === "0") map.fitBounds(gridLayer.getBounds(), { animate: false });
  }
  // Without base tiles the grid outlines and the streets' and grids' names give the places.
  window.fqBasemap.start(map, node, function () {
    if (!node.dataset.grids) return;
    fetch(node.dataset.grids, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data || !data.features) return;
        var grids = L.geoJSON(data, { style: { color: "#8a7f72", weight: 1, fillOpacity: 0.04 }, interactive: false });
        grids.addTo(map).bringToBack();
        window.fqBasemap.names(map, grids).addTo(map);
        if (data.features.length) gridLayer = grids;
        fitGrids();
        node.dataset.outlines = String(data.features.length);
      })
      .catch(function () {});
  });
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
      node.dataset.points = String(data.features.length);
      if (data.features.length) map.fitBounds(layer.getBounds().pad(0.2));
      else {
        fitGrids();
        var c = L.control({ position: "topright" });
        c.onAdd = function () { var d = document.createElement("div"); d.className = "map-notice"; d.textContent = node.dataset.lEmpty; return d; };
        c.addTo(map);
      }
    });
})();
