// Questionnaire results: one bar chart per question with counts (choices, scales,
// yes/no), from the JSON the page carries. The table under each chart has the figures.
(function () {
  "use strict";
  function draw() {
    const data = document.getElementById("survey-charts");
    if (!data || !window.Chart) return;
    for (const chart of JSON.parse(data.textContent)) {
      const canvas = document.getElementById(chart.id);
      if (!canvas) continue;
      new window.Chart(canvas, {
        type: "bar",
        data: { labels: chart.labels, datasets: [{ data: chart.values, backgroundColor: "#1d4ed8" }] },
        options: { indexAxis: "y", plugins: { legend: { display: false } }, animation: false,
                   scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
      });
    }
    document.body.dataset.chartsDrawn = "true";
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
