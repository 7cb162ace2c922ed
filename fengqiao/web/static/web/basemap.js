/* The base of every Leaflet map. With a tile source (data-tile-url: MAP_TILE_URL or the 天地图 key,
   data-label-url: an annotation overlay) the tiles are drawn; with none, or when no tile loads
   (offline, blocked, bad key), the map falls back to a plain background on which the grid
   outlines carry the streets' and grids' names. The node's data-basemap says which:
   "tiles" or "outline".

   fqBasemap.start(map, node, onOutline): adds the tiles, calls onOutline() if they fail.
   fqBasemap.names(map, geoLayer): a layer of names (streets from feature.properties.street,
   grids from feature.properties.name), grid names hidden where the grid is drawn too small. */
(function () {
  "use strict";

  var GIVE_UP_MS = 6000;

  function outline(node, callbacks) {
    if (node.dataset.basemap === "outline") return;
    node.dataset.basemap = "outline";
    node.classList.add("map-outline");
    callbacks.forEach(function (fn) { fn(); });
  }

  function start(map, node, onOutline) {
    var callbacks = [];
    if (onOutline) callbacks.push(onOutline);
    node.fqOnOutline = function (fn) {
      if (node.dataset.basemap === "outline") fn();
      else callbacks.push(fn);
    };
    var url = node.dataset.tileUrl;
    if (!url) { outline(node, callbacks); return; }
    var options = {
      attribution: node.dataset.tileAttribution || "", maxZoom: 18,
      subdomains: node.dataset.tileSubdomains || "abc",
    };
    var base = L.tileLayer(url, options).addTo(map);
    if (node.dataset.labelUrl) L.tileLayer(node.dataset.labelUrl, options).addTo(map);
    var loaded = 0, failed = 0;
    base.on("tileload", function () {
      loaded += 1;
      if (node.dataset.basemap !== "outline") node.dataset.basemap = "tiles";
    });
    base.on("tileerror", function () {
      failed += 1;
      if (!loaded && failed >= 2) { map.removeLayer(base); outline(node, callbacks); }
    });
    // Tiles that neither load nor fail (a silent firewall) count as none.
    window.setTimeout(function () { if (!loaded) { map.removeLayer(base); outline(node, callbacks); } }, GIVE_UP_MS);
  }

  function label(text, cls) {
    var span = document.createElement("span");
    span.className = "map-label " + cls;
    span.textContent = text;
    return { span: span, icon: L.divIcon({ html: span, className: "map-label-anchor", iconSize: null }) };
  }

  function names(map, geoLayer) {
    var group = L.layerGroup();
    var streets = {};
    var grids = [];
    geoLayer.eachLayer(function (lyr) {
      var props = (lyr.feature && lyr.feature.properties) || {};
      var bounds = lyr.getBounds();
      if (props.name) {
        var at = lyr.getCenter ? lyr.getCenter() : bounds.getCenter();
        var made = label(props.name, "map-label-grid");
        var marker = L.marker(at, { icon: made.icon, interactive: false, keyboard: false });
        grids.push({ marker: marker, bounds: bounds, span: made.span });
      }
      if (props.street) {
        if (streets[props.street]) streets[props.street].extend(bounds);
        else streets[props.street] = L.latLngBounds(bounds.getSouthWest(), bounds.getNorthEast());
      }
    });
    // A street's name sits just inside the top of its grids, clear of the grids' names in their middles.
    var streetLabels = Object.keys(streets).map(function (name) {
      var b = streets[name];
      var marker = L.marker([b.getNorth(), b.getCenter().lng], {
        icon: label(name, "map-label-street").icon, interactive: false, keyboard: false, zIndexOffset: 1000,
      });
      group.addLayer(marker);
      return { marker: marker, bounds: b };
    });
    // A grid's name wraps to the width of its outline on screen, and hides where that is too narrow.
    function fit() {
      streetLabels.forEach(function (s) {
        var top = map.latLngToLayerPoint([s.bounds.getNorth(), s.bounds.getCenter().lng]);
        s.marker.setLatLng(map.layerPointToLatLng(top.add([0, 16])));
      });
      grids.forEach(function (g) {
        var ne = map.latLngToLayerPoint(g.bounds.getNorthEast());
        var sw = map.latLngToLayerPoint(g.bounds.getSouthWest());
        var width = Math.abs(ne.x - sw.x), height = Math.abs(ne.y - sw.y);
        var wide = width >= 40 && height >= 40;
        g.span.style.maxWidth = Math.max(width - 8, 24) + "px";
        if (wide && !group.hasLayer(g.marker)) group.addLayer(g.marker);
        if (!wide && group.hasLayer(g.marker)) group.removeLayer(g.marker);
      });
    }
    map.on("zoomend", fit);
    group.on("add", fit);
    group.fqForget = function () { map.off("zoomend", fit); };
    return group;
  }

  window.fqBasemap = { start: start, names: names };
})();
