/* Grid maps: every element with [data-map] gets a Leaflet map of the GeoJSON at data-geojson.
   The base (tiles, or outlines with names when none load) comes from basemap.js. */
(function () {
  "use strict";

  var STYLE = { color: "#b3261e", weight: 2, fillColor: "#e46b5f", fillOpacity: 0.22 };
  var HOVER = { weight: 3, fillOpacity: 0.4 };

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function popupContent(props, labels) {
    var box = el("div", null, "map-popup");
    box.appendChild(el("div", props.name, "title"));
    var dl = el("dl");
    var workers = (props.workers || []).join("、") || labels.none;
    [[labels.code, props.code], [labels.community, props.community], [labels.workers, workers]]
      .forEach(function (pair) {
        dl.appendChild(el("dt", pair[0]));
        dl.appendChild(el("dd", pair[1]));
      });
    box.appendChild(dl);
    if (props.url) {
      var link = el("a", labels.details);
      link.href = props.url;
      box.appendChild(link);
    }
    return box;
  }

  function initMap(node) {
    var labels = {
      code: node.dataset.lCode, community: node.dataset.lCommunity, workers: node.dataset.lWorkers,
      none: node.dataset.lNone, details: node.dataset.lDetails, empty: node.dataset.lEmpty,
      error: node.dataset.lError,
    };
    var map = L.map(node, { zoomSnap: 0.25, attributionControl: !!node.dataset.tileUrl });
    map.setView([45.78, 131.0], 12);  // replaced by the grids' bounds once they arrive
    var names = null;
    // Without base tiles the outlines carry the streets' and grids' names (basemap.js).
    window.fqBasemap.start(map, node, function () { if (names) names.addTo(map); });
    var notice = L.control({ position: "topright" });
    notice.onAdd = function () { return el("div", "", "map-notice"); };
    var layer = L.geoJSON(null, {
      style: function () { return STYLE; },
      onEachFeature: function (feature, lyr) {
        lyr.bindPopup(function () { return popupContent(feature.properties || {}, labels); });
        lyr.bindTooltip(feature.properties ? feature.properties.name : "", { sticky: true });
        lyr.on("mouseover", function () { lyr.setStyle(HOVER); });
        lyr.on("mouseout", function () { layer.resetStyle(lyr); });
        lyr.on("popupopen", function () { lyr.closeTooltip(); });
      },
    }).addTo(map);

    function say(text) {
      notice.remove();
      if (text) { notice.addTo(map); notice.getContainer().textContent = text; }
    }

    // The outlines of streets and communities (data-regions), drawn over the grids with names.
    var regionLayers = null;
    function getJSON(url) {
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json, application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
    }
    function showRegions(data) {
      if (regionLayers) {
        regionLayers.labels.fqForget();
        map.removeLayer(regionLayers.outlines);
        map.removeLayer(regionLayers.labels);
        regionLayers = null;
      }
      if (!data || !data.features || !data.features.length) return 0;
      regionLayers = window.fqBasemap.regions(map, data);
      regionLayers.outlines.addTo(map);
      regionLayers.labels.addTo(map);
      return regionLayers.streets;
    }

    function load(url) {
      node.dataset.state = "loading";
      var query = url.indexOf("?") >= 0 ? url.slice(url.indexOf("?")) : "";
      var regionsWanted = node.dataset.regions ? getJSON(node.dataset.regions.split("?")[0] + query)
        .catch(function () { return null; }) : Promise.resolve(null);
      return Promise.all([getJSON(url), regionsWanted])
        .then(function (both) {
          var data = both[0];
          layer.clearLayers();
          layer.addData(data);
          if (names) { names.fqForget(); map.removeLayer(names); }
          // Streets drawn as outlines carry their own names; the grids' give the rest.
          var streets = showRegions(both[1]);
          names = window.fqBasemap.names(map, layer, { streets: !streets });
          node.dataset.regionCount = regionLayers ? String(regionLayers.count) : "0";
          var count = layer.getLayers().length;
          if (count) {
            // No animation: the view is final (and the paths drawn) once the state says ready.
            map.fitBounds(layer.getBounds(), { padding: [18, 18], animate: false });
            say("");
          }
          if (node.dataset.basemap === "outline") names.addTo(map);
          else { say(labels.empty); }
          node.dataset.count = String(count);
          node.dataset.state = "ready";
        })
        .catch(function () { say(labels.error); node.dataset.state = "error"; });
    }

    var base = node.dataset.geojson;
    node.fqShowRegion = function (regionId) {
      var url = base.split("?")[0] + (regionId ? "?region=" + encodeURIComponent(regionId) : "");
      return load(url);
    };
    load(base);
    // Maps inside hidden or resized containers need to recompute their size.
    window.addEventListener("resize", function () { map.invalidateSize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map]").forEach(initMap);
  });

  // Tree buttons "show on map": reload the page's main map with one region's grids.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-map-region]");
    if (!button) return;
    var target = document.getElementById(button.dataset.mapTarget || "map");
    if (target && target.fqShowRegion) {
      event.preventDefault();
      target.fqShowRegion(button.dataset.mapRegion);
    }
  });
})();
