/* Monitoring room charts (ECharts) and the grid map (Leaflet). Every chart segment carries
   the URL of the cases behind it; clicking it opens that list. */
(function () {
  "use strict";
  var dataNode = document.getElementById("chart-data");
  if (!dataNode || !window.echarts) return;
  var data = JSON.parse(dataNode.textContent);
  var dark = document.body.classList.contains("screen");
  var theme = dark ? "dark" : null;

  function chart(id, option) {
    var node = document.getElementById(id);
    if (!node) return null;
    var c = echarts.init(node, theme, { renderer: "svg" });
    option.animation = false;
    c.setOption(option);
    c.on("click", function (p) {
      if (p.data && p.data.url) window.location.href = p.data.url;
    });
    node.dataset.state = "ready";
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }

  var codes = Object.keys(data.trendNames);
  chart("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { data: codes.map(function (c) { return data.trendNames[c]; }) },
    xAxis: { type: "category", data: data.trend.map(function (t) { return t.label; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: codes.map(function (c) {
      return {
        name: data.trendNames[c], type: "bar",
        data: data.trend.map(function (t) { return { value: t.values[c], url: t.urls[c] }; }),
      };
    }),
  });
  chart("chart-places", {
    tooltip: {},
    xAxis: { type: "category", data: data.places.map(function (p) { return p.name; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ type: "bar", data: data.places.map(function (p) { return { value: p.value, url: p.url }; }) }],
  });
  chart("chart-categories", {
    tooltip: {},
    series: [{
      type: "pie", radius: "65%",
      data: data.categories.map(function (c) { return { name: c.name, value: c.value, url: c.url }; }),
    }],
  });

  var mapNode = document.getElementById("grid-map");
  if (!mapNode || !window.L) return;
  var map = L.map(mapNode, { attributionControl: false, zoomSnap: 0.25 });
  map.setView([45.78, 131.0], 12);
  var layer = null;
  var names = null;
  var regionLayers = null;
  var basemap = window.fqBasemap;
  // On the big screen the names stay on the map: with no base tiles they are the map.
  var permanent = mapNode.dataset.labels === "permanent";
  var select = document.getElementById("map-indicator");
  // Tiles when they load; otherwise (offline) a plain background where the outlines of the
  // streets and grids with their names are the map (web/basemap.js).
  if (basemap) basemap.start(map, mapNode, function () { if (names) names.addTo(map); });
  var REGION_STYLE_DARK = {
    4: { color: "#9fd8ff", weight: 3.5, fill: false, opacity: 0.95 },
    5: { color: "#9fd8ff", weight: 1.2, fill: false, opacity: 0.6, dashArray: "5 4" },
  };
  function colour(v, max) {
    if (v === null || v === undefined) return "#cccccc";
    var t = max > 0 ? v / max : 0;
    var r = Math.round(255 - 76 * t), g = Math.round(235 - 197 * t), b = Math.round(220 - 190 * t);
    return "rgb(" + r + "," + g + "," + b + ")";
  }
  // The legend of the colours, above the map (it hides none of it): the unit, the scale from 0 to
  // the largest figure, and the grey of a grid without a figure.
  var legend = document.getElementById("map-legend");
  function showLegend(fc, max) {
    if (!legend) return;
    var span = function (text, cls, style) {
      var node = document.createElement("span");
      if (text) node.textContent = text;
      if (cls) node.className = cls;
      if (style) node.style.background = style;
      return node;
    };
    var top = Math.round(max * 100) / 100;
    legend.replaceChildren(
      span(legend.dataset.lUnit + "：" + fc.unit),
      span("0"),
      span("", "bar", "linear-gradient(to right, " + colour(0, max) + ", " + colour(max, max) + ")"),
      span(String(top)),
      span("", "swatch", colour(null, max)),
      span(legend.dataset.lNone)
    );
    legend.dataset.max = String(top);
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }
  // The outlines of the streets and communities with their names, over the grids; once.
  var outlinesReady = !basemap || !mapNode.dataset.outlines ? Promise.resolve(0)
    : getJSON(mapNode.dataset.outlines).then(function (data) {
      if (!data.features.length) return 0;
      regionLayers = basemap.regions(map, data, {
        style: dark ? function (f) { return REGION_STYLE_DARK[f.properties.level]; } : null,
      });
      regionLayers.outlines.addTo(map);
      regionLayers.labels.addTo(map);
      mapNode.dataset.regionCount = String(regionLayers.count);
      return regionLayers.streets;
    }).catch(function () { return 0; });
  function load() {
    mapNode.dataset.state = "loading";
    Promise.all([getJSON(mapNode.dataset.url + "&indicator=" + encodeURIComponent(select.value)), outlinesReady])
      .then(function (both) {
        var fc = both[0], streets = both[1];
        var max = 0;
        fc.features.forEach(function (f) { if (f.properties.value > max) max = f.properties.value; });
        if (layer) map.removeLayer(layer);
        layer = L.geoJSON(fc, {
          style: function (f) { return { color: "#7a1c15", weight: 1, fillColor: colour(f.properties.value, max), fillOpacity: 0.7 }; },
          onEachFeature: function (f, lyr) {
            lyr.bindTooltip(f.properties.name + "：" + f.properties.display, { sticky: true });
            lyr.on("click", function () { window.location.href = f.properties.url; });
          },
        }).addTo(map);
        if (basemap) {
          if (names) { names.fqForget(); map.removeLayer(names); }
          // The streets' names come from their outlines when there are some. On the big screen
          // each grid wide enough on screen shows its name and figure (the cases by grid).
          names = basemap.names(map, layer, {
            streets: !streets,
            // Where the name and figure do not fit, the figure alone.
            text: permanent ? function (p) { return [p.name + "\n" + p.display, p.display]; } : null,
          });
          if (permanent || mapNode.dataset.basemap === "outline") names.addTo(map);
        }
        var bounds = layer.getBounds();
        if (regionLayers && regionLayers.count) bounds = fc.features.length ? bounds.extend(regionLayers.outlines.getBounds()) : regionLayers.outlines.getBounds();
        if (bounds.isValid()) map.fitBounds(bounds, { padding: [12, 12], animate: false });
        var formula = document.getElementById("map-formula");
        formula.textContent = formula.title = fc.name + "：" + fc.formula;
        showLegend(fc, max);
        mapNode.dataset.state = "ready";
        mapNode.dataset.count = fc.features.length;
      })
      .catch(function () { mapNode.dataset.state = "error"; });
  }
  select.addEventListener("change", load);
  load();
})();
