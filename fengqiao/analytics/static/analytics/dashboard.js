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
  var map = L.map(mapNode, { attributionControl: false });
  map.setView([45.78, 131.0], 12);
  var layer = null;
  var select = document.getElementById("map-indicator");
  function colour(v, max) {
    if (v === null || v === undefined) return "#cccccc";
    var t = max > 0 ? v / max : 0;
    var r = Math.round(255 - 76 * t), g = Math.round(235 - 197 * t), b = Math.round(220 - 190 * t);
    return "rgb(" + r + "," + g + "," + b + ")";
  }
  function load() {
    mapNode.dataset.state = "loading";
    fetch(mapNode.dataset.url + "&indicator=" + encodeURIComponent(select.value), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (fc) {
        var max = 0;
        fc.features.forEach(function (f) { if (f.properties.value > max) max = f.properties.value; });
        if (layer) map.removeLayer(layer);
        layer = L.geoJSON(fc, {
          style: function (f) { return { color: "#7a1c15", weight: 1, fillColor: colour(f.properties.value, max), fillOpacity: 0.7 }; },
          onEachFeature: function (f, lyr) {
            // On the big screen the names stay on the map: with no base tiles they are the map.
            var permanent = mapNode.dataset.labels === "permanent";
            lyr.bindTooltip(f.properties.name + "：" + f.properties.display, permanent
              ? { permanent: true, direction: "center", className: "grid-label" } : { sticky: true });
            lyr.on("click", function () { window.location.href = f.properties.url; });
          },
        }).addTo(map);
        if (fc.features.length) map.fitBounds(layer.getBounds());
        document.getElementById("map-formula").textContent = fc.name + "：" + fc.formula;
        mapNode.dataset.state = "ready";
        mapNode.dataset.count = fc.features.length;
      });
  }
  select.addEventListener("change", load);
  load();
})();
