// Consult Desk dashboard: draws the charts (Apache ECharts, vendored, canvas) from the JSON data island the page carries.
// No inline scripts (CSP script-src 'self'); every number comes from the island, which holds exactly `report --json`'s figures.
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function read() {
    var island = byId("dashboard-data");
    return island ? JSON.parse(island.textContent) : null;
  }

  function pct(value) { return value === null || value === undefined ? null : Math.round(value * 1000) / 10; }

  var PALETTE = ["#17365d", "#c0392b", "#d68910", "#1e8449", "#7d3c98", "#2e86c1", "#717d7e"];

  function base(extra) {
    var option = {
      color: PALETTE,
      animation: false,
      textStyle: { fontFamily: "system-ui, 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif" },
      tooltip: { trigger: "axis", renderMode: "richText" },
      grid: { left: 8, right: 8, top: 36, bottom: 8, containLabel: true },
      legend: { top: 0, type: "scroll" }
    };
    for (var key in extra) { if (Object.prototype.hasOwnProperty.call(extra, key)) { option[key] = extra[key]; } }
    return option;
  }

  function bars(categories, series, horizontal) {
    var category = { type: "category", data: categories, axisLabel: { interval: 0, width: 110, overflow: "truncate" } };
    var value = { type: "value", minInterval: 1 };
    return base({
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: series.map(function (s) { return { name: s.name, type: "bar", data: s.data, barMaxWidth: 28 }; })
    });
  }

  function options(report, labels) {
    var daily = report.daily || [];
    var days = daily.map(function (d) { return d.day.slice(5); });
    var types = ["consultation", "complaint", "rectification"];
    var daySeries = types.map(function (type) {
      return { name: labels["type_" + type], type: "line", data: daily.map(function (d) { return d[type]; }) };
    });
    daySeries.push({
      name: labels.dash_on_time_rate, type: "line", yAxisIndex: 1, connectNulls: true, lineStyle: { type: "dashed" },
      data: daily.map(function (d) { return d.deadlines ? pct(d.on_time / d.deadlines) : null; })
    });
    var departments = Object.keys(report.departments || {});
    var staff = Object.keys(report.staff || {});
    var levels = labels.level_order;  // the island's objects arrive with sorted keys: order comes from lists
    var channels = Object.keys(report.channels || {}).sort(function (a, b) { return report.channels[b] - report.channels[a] || (a < b ? -1 : 1); });
    var procedures = (report.top_procedures || []).slice().reverse();
    var unanswered = (report.top_unanswered || []).slice().reverse();
    function group(names, source) {
      return [
        { name: labels.dash_opened, data: names.map(function (n) { return source[n].opened; }) },
        { name: labels.dash_resolved, data: names.map(function (n) { return source[n].resolved; }) }
      ];
    }
    return {
      daily: base({
        xAxis: { type: "category", data: days },
        yAxis: [{ type: "value", minInterval: 1 }, { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }],
        series: daySeries
      }),
      departments: bars(departments, group(departments, report.departments), false),
      staff: bars(staff, group(staff, report.staff), false),
      levels: bars(levels.map(function (l) { return labels.levels[l]; }),
        [{ name: labels.dash_rated, data: levels.map(function (l) { return report.overall.levels[l]; }) }], false),
      channels: bars(channels.map(function (c) { return labels.channels[c] || c; }),
        [{ name: labels.dash_opened, data: channels.map(function (c) { return report.channels[c]; }) }], false),
      procedures: bars(procedures.map(function (p) { return p.title; }),
        [{ name: labels.dash_chart_procedures, data: procedures.map(function (p) { return p.count; }) }], true),
      unanswered: bars(unanswered.map(function (u) { return u.text.length > 24 ? u.text.slice(0, 24) + "…" : u.text; }),
        [{ name: labels.dash_chart_unanswered, data: unanswered.map(function (u) { return u.count; }) }], true)
    };
  }

  function empty(option) {
    return !option.series.some(function (s) {
      return s.data.some(function (v) { return v !== null && v !== 0; });
    });
  }

  function draw() {
    var data = read();
    if (!data || !window.echarts) { return; }
    var all = options(data.report, data.labels);
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var option = all[box.getAttribute("data-chart")];
      if (!option) { return; }
      if (empty(option)) {
        option.graphic = { type: "text", left: "center", top: "middle", style: { text: data.labels.dash_no_data, fill: "#888", fontSize: 14 } };
      }
      var chart = window.echarts.init(box, null, { renderer: "canvas" });
      chart.setOption(option);
      box.setAttribute("data-drawn", "1");
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
