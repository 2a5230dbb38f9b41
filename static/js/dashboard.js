// Draws the dashboard's charts with Chart.js (served from our static files) from the
// same rows as the tables under them.
(function () {
  "use strict";
  const source = document.getElementById("dashboard-data");
  if (!source || !window.Chart) return;
  const charts = JSON.parse(source.textContent);
  // Days come as ISO dates (as in the CSV); the axis reads them as people do ("sam. 28 nov.").
  const dayFormat = new Intl.DateTimeFormat(document.documentElement.lang || undefined,
                                            { weekday: "short", day: "numeric", month: "short" });
  const dayLabel = (value) => {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    return m ? dayFormat.format(new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : value;
  };
  const kinds = { per_day: "line", results: "bar", actions: "bar", participation: "line" };
  for (const canvas of document.querySelectorAll("canvas[data-chart]")) {
    const chart = charts[canvas.dataset.chart];
    const labels = chart.rows.map((r) => dayLabel(r[0]));
    const datasets = chart.columns.slice(1).map((column, i) => ({ label: column, data: chart.rows.map((r) => r[i + 1]) }));
    new Chart(canvas, { type: kinds[canvas.dataset.chart], data: { labels, datasets },
                        options: { animation: false, responsive: true, maintainAspectRatio: false } });
  }
  document.body.dataset.chartsDrawn = "true";
})();
