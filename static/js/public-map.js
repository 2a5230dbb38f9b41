// The campaign site's public map: contributions of public projects for the view,
// fetched by bounding box from our own API. Nothing personal is in the data.
(function () {
  "use strict";
  // Citizens' contributions, one colour each: ideas, help offered, help asked, answers.
  const SYMBOLS = { proposal: ["#5b21b6", "#8b5cf6"], offer: ["#065f46", "#10b981"],
                    request: ["#9a3412", "#fb923c"], answer: ["#1e3a8a", "#60a5fa"] };
  function esc(text) {
    const span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span.innerHTML;
  }
  function start() {
    const el = document.getElementById("public-map");
    if (!el || !window.L) return;
    const map = L.map(el);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    }
    const zones = L.layerGroup().addTo(map);
    const layer = L.layerGroup().addTo(map);
    const counter = document.getElementById("count-contributions");
    let run = 0;
    async function load() {
      const mine = ++run;
      const b = map.getBounds();
      const bbox = [Math.max(-180, b.getWest()), Math.max(-90, b.getSouth()), Math.min(180, b.getEast()),
                    Math.min(90, b.getNorth())].map((n) => n.toFixed(6)).join(",");
      const query = `?bbox=${bbox}&zoom=${map.getZoom()}`;
      const [response, zoneResponse] = await Promise.all([
        fetch(el.dataset.api + query, { headers: { Accept: "application/json" } }),
        fetch(el.dataset.zones + query, { headers: { Accept: "application/json" } }),
      ]);
      if (!response.ok || !zoneResponse.ok || mine !== run) return;
      const data = await response.json();
      const areas = await zoneResponse.json();
      zones.clearLayers();
      L.geoJSON(areas, {
        style: { color: "#1d4ed8", weight: 2, fillOpacity: 0.05, className: "public-zone" },
        onEachFeature: (f, l) => l.bindTooltip(esc(f.properties.name)),
      }).addTo(zones);
      layer.clearLayers();
      L.geoJSON(data, {
        pointToLayer: (f, latlng) => {
          const [color, fill] = SYMBOLS[f.properties.kind] || SYMBOLS.proposal;
          return L.circleMarker(latlng, { radius: 8, weight: 2, color, fillColor: fill, fillOpacity: 0.85,
                                          className: `contribution ${f.properties.kind}` });
        },
        onEachFeature: (f, l) => l.bindPopup(
          `<a href="${esc(f.properties.url)}">${esc(f.properties.title)}</a><br>${esc(f.properties.theme)}${f.properties.votes == null ? "" : ` · ${esc(f.properties.votes)} ♥`}`),
      }).addTo(layer);
      counter.textContent = String(data.features.length);
      el.dataset.loaded = String(Date.now());
    }
    const [w, s, e, n] = JSON.parse(el.dataset.extent);
    map.on("moveend", () => { clearTimeout(map._t); map._t = setTimeout(load, 250); });
    map.fitBounds([[s, w], [n, e]]);
    load();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
