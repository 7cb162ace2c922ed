// Special operation figures: the trend by period and the totals by unit (data from json_script).
(function () {
  "use strict";
  var node = document.getElementById("operation-chart-data");
  if (!node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(node.textContent);
  var names = data.indicators.map(function (i) { return i.name; });
  var trendEl = document.getElementById("trend-chart");
  if (trendEl) {
    echarts.init(trendEl).setOption({
      tooltip: { trigger: "axis" }, legend: { data: names },
      xAxis: { type: "category", data: data.periods }, yAxis: { type: "value", minInterval: 1 },
      series: data.indicators.map(function (i) {
        return { name: i.name, type: "line", data: data.trend[i.code] || [] };
      })
    });
  }
  var unitEl = document.getElementById("unit-chart");
  if (unitEl) {
    var units = Object.keys(data.by_unit);
    echarts.init(unitEl).setOption({
      tooltip: { trigger: "axis" }, legend: { data: names },
      xAxis: { type: "category", data: units }, yAxis: { type: "value", minInterval: 1 },
      series: data.indicators.map(function (i) {
        return { name: i.name, type: "bar", data: units.map(function (u) { return data.by_unit[u][i.code] || 0; }) };
      })
    });
  }
})();
