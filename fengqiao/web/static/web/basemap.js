/* The base of every Leaflet map. With a tile source (data-tile-url: MAP_TILE_URL or the 天地图 key,
   data-label-url: an annotation overlay) the tiles are drawn; with none, or when no tile loads
   (offline, blocked, bad key), the map falls back to a plain background on which the grid
   outlines carry the streets' and grids' names. The node's data-basemap says which:
   "tiles" or "outline".

   fqBasemap.start(map, node, onOutline): adds the tiles, calls onOutline() if they fail.
   fqBasemap.names(map, geoLayer, options): a layer of names (streets from feature.properties.street,
   grids from feature.properties.name); options.streets === false leaves the streets to
   fqBasemap.regions, options.grids === false leaves out the grids' names, options.text(properties)
   replaces a grid's name as its label (a string, or a list of texts to try, longest first).
   fqBasemap.regions(map, geojson, options): the outlines of streets (level 4) and communities
   (level 5) in their own pane above the grids, not clickable, with their names: a street's at the
   top of its outline, a community's at its foot.
   All the labels of a map are placed together (placer below): none overlaps another, none
   spills out of its shape; those that cannot show are hidden (visibility), not removed.
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

  // Every label layer of one map is placed together, so that the more important names win:
  // streets, then communities, then grids (the larger shapes first within a rank). A label shows
  // only where it fits inside its shape's box on screen and clears every label placed before it;
  // a grid may offer shorter texts to try in turn. Placed again on zoom, resize and fonts loaded.
  var STREET = 0, COMMUNITY = 1, GRID = 2, GAP = 2;

  function placer(map) {
    if (map.fqPlacer) return map.fqPlacer;
    var groups = [];
    function run() {
      var items = [];
      groups.forEach(function (g) { if (map.hasLayer(g)) items = items.concat(g.fqItems); });
      items.forEach(function (it) {
        var ne = map.latLngToLayerPoint(it.bounds.getNorthEast());
        var sw = map.latLngToLayerPoint(it.bounds.getSouthWest());
        it.box = { x0: sw.x, y0: ne.y, x1: ne.x, y1: sw.y };
        it.area = (ne.x - sw.x) * (sw.y - ne.y);
      });
      items.sort(function (a, b) { return a.rank - b.rank || b.area - a.area; });
      // Sizes are read once per text (all reads after all writes, so the page lays out once).
      items.forEach(function (it) {
        if (it.sizes) return;
        it.sizes = it.texts.map(function (t) {
          it.span.textContent = t;
          return [it.span.offsetWidth, it.span.offsetHeight];
        });
      });
      var placed = [];
      function free(it, r) {
        var inside = r.x0 >= it.box.x0 - 1 && r.x1 <= it.box.x1 + 1 && r.y0 >= it.box.y0 - 1 && r.y1 <= it.box.y1 + 1;
        return inside && placed.every(function (q) {
          return r.x1 + GAP <= q.x0 || q.x1 + GAP <= r.x0 || r.y1 + GAP <= q.y0 || q.y1 + GAP <= r.y0;
        });
      }
      items.forEach(function (it) {
        var spots = it.spots.map(function (spot) { return spot(); });
        var chosen = -1;
        for (var i = 0; i < it.texts.length && chosen < 0; i += 1) {
          var w = it.sizes[i][0] / 2, h = it.sizes[i][1] / 2;
          for (var k = 0; k < spots.length && chosen < 0; k += 1) {
            var r = { x0: spots[k].x - w, y0: spots[k].y - h, x1: spots[k].x + w, y1: spots[k].y + h };
            if (free(it, r)) { chosen = i; placed.push(r); it.marker.setLatLng(map.layerPointToLatLng(spots[k])); }
          }
        }
        it.span.textContent = it.texts[chosen < 0 ? 0 : chosen];
        it.span.style.visibility = chosen < 0 ? "hidden" : "";
      });
      // The zoom the labels were last placed at (tests wait for it after zooming).
      map.getContainer().dataset.labelZoom = String(map.getZoom());
    }
    function forgetSizes() { groups.forEach(function (g) { g.fqItems.forEach(function (it) { it.sizes = null; }); }); run(); }
    map.on("zoomend", run);
    map.on("resize", forgetSizes);
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(forgetSizes);
    map.fqPlacer = {
      add: function (group) {
        if (groups.indexOf(group) < 0) groups.push(group);
        group.on("add", run);
        group.on("remove", run);
      },
      forget: function (group) {
        groups = groups.filter(function (g) { return g !== group; });
        group.off("add", run);
        group.off("remove", run);
      },
      run: run,
    };
    return map.fqPlacer;
  }

  // A layer group of labels known to the map's placer; fqForget() drops it from the placement.
  function labelGroup(map, items) {
    var group = L.layerGroup();
    group.fqItems = items;
    items.forEach(function (it) { group.addLayer(it.marker); });
    var p = placer(map);
    p.add(group);
    group.fqForget = function () { p.forget(group); };
    return group;
  }

  function marker(at, made, zIndexOffset) {
    return L.marker(at, { icon: made.icon, interactive: false, keyboard: false, zIndexOffset: zIndexOffset || 0 });
  }

  var REGION_STYLE = {
    4: { color: "#1d3557", weight: 3.5, fill: false, opacity: 0.9 },
    5: { color: "#1d3557", weight: 1.5, fill: false, opacity: 0.8, dashArray: "6 4" },
  };

  // A street's or community's label: at the top of its shape (dy > 0) or its foot (dy < 0), dy
  // pixels inside; else at the other edge, else in the middle, whichever is free first.
  function edgeItem(map, bounds, text, cls, rank, dy) {
    var made = label(text, cls);
    var north = [bounds.getNorth(), bounds.getCenter().lng], south = [bounds.getSouth(), bounds.getCenter().lng];
    function at(edge, down) { return function () { return map.latLngToLayerPoint(edge).add([0, down]); }; }
    var top = at(north, Math.abs(dy)), foot = at(south, -Math.abs(dy));
    var middle = function () { return map.latLngToLayerPoint(bounds.getCenter()); };
    return { span: made.span, texts: [text], bounds: bounds, rank: rank,
             marker: marker(dy > 0 ? north : south, made, rank === STREET ? 1000 : 500),
             spots: dy > 0 ? [top, foot, middle] : [foot, top, middle] };
  }

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
    var items = [];
    outlines.eachLayer(function (lyr) {
      var props = lyr.feature.properties || {};
      var street = props.level === 4;
      var it = street ? edgeItem(map, lyr.getBounds(), props.name || "", "map-label-street", STREET, 16)
        : edgeItem(map, lyr.getBounds(), props.name || "", "map-label-community", COMMUNITY, -12);
      it.span.dataset.region = String(lyr.feature.id);
      items.push(it);
    });
    return { outlines: outlines, labels: labelGroup(map, items), count: items.length,
             streets: items.filter(function (it) { return it.rank === STREET; }).length };
  }

  function names(map, geoLayer, options) {
    var withStreets = !options || options.streets !== false;
    var withGrids = !options || options.grids !== false;
    var items = [];
    var streets = {};
    geoLayer.eachLayer(function (lyr) {
      var props = (lyr.feature && lyr.feature.properties) || {};
      var bounds = lyr.getBounds();
      if (props.name && withGrids) {
        var at = lyr.getCenter ? lyr.getCenter() : bounds.getCenter();
        var texts = options && options.text ? [].concat(options.text(props)) : [props.name];
        var made = label(texts[0], "map-label-grid");
        var centre = function () { return map.latLngToLayerPoint(at); };
        items.push({ marker: marker(at, made), span: made.span, texts: texts, bounds: bounds, rank: GRID,
                     spots: [centre] });
      }
      if (props.street && withStreets) {
        if (streets[props.street]) streets[props.street].extend(bounds);
        else streets[props.street] = L.latLngBounds(bounds.getSouthWest(), bounds.getNorthEast());
      }
    });
    // A street's name sits just inside the top of its grids, clear of the grids' names in their middles.
    Object.keys(streets).forEach(function (name) {
      items.push(edgeItem(map, streets[name], name, "map-label-street", STREET, 16));
    });
    return labelGroup(map, items);
  }

  window.fqBasemap = { start: start, names: names, regions: regions };
})();
