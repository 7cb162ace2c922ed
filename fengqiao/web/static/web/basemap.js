/* The base of every Leaflet map. With a tile source (data-tile-url: MAP_TILE_URL or the 天地图 key,
   data-label-url: an annotation overlay) the tiles are drawn; with none, or when no tile loads
   (offline, blocked, bad key), the map falls back to a plain background on which the grid
   outlines carry the streets' and grids' names. The node's data-basemap says which:
   "tiles" or "outline".

   fqBasemap.start(map, node, onOutline): adds the tiles, calls onOutline() if they fail.
   fqBasemap.names(map, geoLayer, options): a layer of names (streets from feature.properties.street,
   grids from feature.properties.name), grid names hidden where the grid is drawn too small;
   options.streets === false leaves the streets to fqBasemap.regions, options.grids === false
   leaves out the grids' names, options.text(properties) replaces a grid's name as its label.
   fqBasemap.regions(map, geojson, options): the outlines of streets (level 4) and communities
   (level 5) in their own pane above the grids, not clickable, with their names: a street's at the
   top of its outline, a community's at its foot (hidden where it is drawn too small).
   options.style(feature) may replace the default line style. Returns {outlines, labels, count}. */
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

  var REGION_STYLE = {
    4: { color: "#1d3557", weight: 3.5, fill: false, opacity: 0.9 },
    5: { color: "#1d3557", weight: 1.5, fill: false, opacity: 0.8, dashArray: "6 4" },
  };

  function regions(map, geojson, options) {
    options = options || {};
    if (!map.getPane("fq-outlines")) {
      var pane = map.createPane("fq-outlines");
      pane.style.zIndex = 450;  // above the grids (overlayPane 400), below labels and popups
      pane.style.pointerEvents = "none";
    }
    var outlines = L.geoJSON(geojson, {
      pane: "fq-outlines", interactive: false,
      style: function (f) {
        return (options.style && options.style(f)) || REGION_STYLE[f.properties.level] || REGION_STYLE[5];
      },
    });
    var labels = L.layerGroup();
    var items = [];
    outlines.eachLayer(function (lyr) {
      var props = lyr.feature.properties || {};
      var street = props.level === 4;
      var b = lyr.getBounds();
      var at = street ? [b.getNorth(), b.getCenter().lng] : [b.getSouth(), b.getCenter().lng];
      var made = label(props.name || "", street ? "map-label-street" : "map-label-community");
      made.span.dataset.region = String(lyr.feature.id);
      var marker = L.marker(at, {
        icon: made.icon, interactive: false, keyboard: false, zIndexOffset: street ? 1000 : 500,
      });
      items.push({ marker: marker, bounds: b, street: street, at: at });
    });
    function fit() {
      items.forEach(function (it) {
        var p = map.latLngToLayerPoint(it.at);
        it.marker.setLatLng(map.layerPointToLatLng(p.add([0, it.street ? 16 : -12])));
        var ne = map.latLngToLayerPoint(it.bounds.getNorthEast());
        var sw = map.latLngToLayerPoint(it.bounds.getSouthWest());
        var show = it.street || (Math.abs(ne.x - sw.x) >= 70 && Math.abs(ne.y - sw.y) >= 50);
        if (show && !labels.hasLayer(it.marker)) labels.addLayer(it.marker);
        if (!show && labels.hasLayer(it.marker)) labels.removeLayer(it.marker);
      });
    }
    map.on("zoomend", fit);
    labels.on("add", fit);
    labels.fqForget = function () { map.off("zoomend", fit); };
    return { outlines: outlines, labels: labels, count: items.length,
             streets: items.filter(function (it) { return it.street; }).length };
  }

  function names(map, geoLayer, options) {
    var withStreets = !options || options.streets !== false;
    var withGrids = !options || options.grids !== false;
    var group = L.layerGroup();
    var streets = {};
    var grids = [];
    geoLayer.eachLayer(function (lyr) {
      var props = (lyr.feature && lyr.feature.properties) || {};
      var bounds = lyr.getBounds();
      if (props.name && withGrids) {
        var at = lyr.getCenter ? lyr.getCenter() : bounds.getCenter();
        var made = label(options && options.text ? options.text(props) : props.name, "map-label-grid");
        var marker = L.marker(at, { icon: made.icon, interactive: false, keyboard: false });
        grids.push({ marker: marker, bounds: bounds, span: made.span });
      }
      if (props.street && withStreets) {
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

  window.fqBasemap = { start: start, names: names, regions: regions };
})();
