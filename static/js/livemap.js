// The team's live map. folium builds the map and its empty layer groups
// (map_staff, feature_group_*); this fills them from the API for the current view
// and adds field reports as they arrive over the WebSocket, catching up after a cut.
(function () {
  "use strict";
  // Citizens' contributions, one colour each: ideas, help offered, help asked, answers.
  const SYMBOLS = { proposal: ["#5b21b6", "#8b5cf6"], offer: ["#065f46", "#10b981"],
                    request: ["#9a3412", "#fb923c"], answer: ["#1e3a8a", "#60a5fa"] };
  const PRIORITY = { 1: "#b91c1c", 2: "#ea580c", 3: "#ca8a04", 0: "#6b7280" };
  const RESULT = {
    talked: "#15803d", refused: "#b91c1c", not_home: "#6b7280", come_back: "#ca8a04", moved: "#7c3aed",
    wrong_address: "#7c3aed", no_access: "#374151", no_answer: "#6b7280", voicemail: "#9ca3af",
    wrong_number: "#7c3aed", call_back: "#ca8a04", dropped: "#1d4ed8", handed_out: "#1d4ed8",
  };
  // Dates and times the way the page's language writes them, without seconds.
  const lang = document.documentElement.lang || undefined;
  const when = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  const clock = new Intl.DateTimeFormat(lang, { timeStyle: "short" });
  // {action id: {result code: label}} of the actions planned when the page was drawn.
  const RESULT_LABELS = JSON.parse(document.getElementById("result-labels")?.textContent || "{}");
  const box = document.getElementById("live-map-data");
  const map = window.map_staff;
  if (!box || !map) return;
  const api = box.dataset;
  const groups = {
    zones: window.feature_group_zones, coverage: window.feature_group_coverage, support: window.feature_group_support,
    reports: window.feature_group_reports, heat: window.feature_group_heat, volunteers: window.feature_group_volunteers,
    contributions: window.feature_group_contributions,
  };
  const counters = { reports: document.getElementById("count-reports"), reached: document.getElementById("count-reached"),
                     contributions: document.getElementById("count-contributions") };
  const seenContributions = new Set();

  function contributionMarker(feature, latlng) {
    const p = feature.properties;
    seenContributions.add(p.id);
    const [color, fill] = SYMBOLS[p.kind] || SYMBOLS.proposal;
    return L.circleMarker(latlng, { radius: 8, weight: 2, color, fillColor: fill, fillOpacity: 0.85,
                                    className: `contribution ${p.kind}` })
      .bindPopup(`<a href="${esc(p.url)}">${esc(p.title)}</a><br>${esc(p.theme)}${p.votes == null ? "" : ` · ${esc(p.votes)} ♥`}`);
  }

  function drawContributions(data) {
    if (!groups.contributions) return;
    groups.contributions.clearLayers();
    seenContributions.clear();
    L.geoJSON(data, { pointToLayer: contributionMarker }).addTo(groups.contributions);
    if (counters.contributions) counters.contributions.textContent = String(data.features.length);
  }

  function addContribution(feature) {
    if (!groups.contributions || seenContributions.has(feature.properties.id)) return;
    L.geoJSON(feature, { pointToLayer: contributionMarker }).addTo(groups.contributions);
    if (counters.contributions) counters.contributions.textContent = String(Number(counters.contributions.textContent) + 1);
  }
  const filterForm = document.getElementById("map-filters");
  let lastReportId = Number(api.lastReport || 0);
  // Reports that arrived live stay drawn when the view reloads around them.
  const liveLayer = L.layerGroup();
  let loading = 0;

  function esc(text) {
    const span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span.innerHTML;
  }

  function query(extra) {
    const b = map.getBounds();
    const params = new URLSearchParams(new FormData(filterForm));
    for (const [k, v] of [...params.entries()]) if (!v) params.delete(k);
    params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((n) => n.toFixed(6)).join(","));
    params.set("zoom", String(map.getZoom()));
    for (const [k, v] of Object.entries(extra || {})) params.set(k, v);
    return params.toString();
  }

  async function getJson(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  function shade(value, hue) {
    if (value == null) return "#d1d5db";
    const light = Math.round(90 - 55 * Math.max(0, Math.min(1, value)));
    return `hsl(${hue}, 70%, ${light}%)`;
  }

  function reportMarker(feature, latlng) {
    const p = feature.properties;
    return L.circleMarker(latlng, { radius: 6, weight: 1, color: "#111827", fillColor: RESULT[p.result] || "#1d4ed8",
                                    fillOpacity: 0.9 })
      .bindPopup(`<strong>${esc(p.action)}</strong><br>${esc(p.result_label)}<br>${esc(when.format(new Date(p.at)))}`);
  }

  function drawReports(data) {
    groups.reports.clearLayers();
    groups.reports.addLayer(liveLayer);
    let total = 0;
    let reached = 0;
    if (data.mode === "points") {
      const cluster = L.markerClusterGroup({ maxClusterRadius: 40 });
      L.geoJSON(data, { pointToLayer: reportMarker }).eachLayer((layer) => cluster.addLayer(layer));
      groups.reports.addLayer(cluster);
      total = data.features.length;
      reached = data.features.filter((f) => f.properties.reached).length;
    } else {
      for (const f of data.features) {
        const p = f.properties;
        total += p.count;
        reached += p.reached;
        const [lon, lat] = f.geometry.coordinates;
        L.circleMarker([lat, lon], { radius: Math.min(28, 5 + Math.sqrt(p.count) * 1.5), weight: 1,
                                     color: "#1e3a8a", fillColor: "#3b82f6", fillOpacity: 0.55 })
          .bindTooltip(`${p.count} · ${p.reached}`)
          .addTo(groups.reports);
      }
    }
    counters.reports.textContent = String(total);
    counters.reached.textContent = String(reached);
  }

  function drawAreas(group, data, style, popup) {
    if (!group) return;
    group.clearLayers();
    L.geoJSON(data, { style, onEachFeature: (f, layer) => layer.bindPopup(popup(f.properties)) }).addTo(group);
  }

  function percent(v) {
    return v == null ? "—" : `${Math.round(v * 100)} %`;
  }

  async function load() {
    const run = ++loading;
    const q = query();
    try {
      const wanted = [getJson(`${api.reports}?${q}`), getJson(`${api.zones}?${q}`)];
      wanted.push(groups.contributions ? getJson(`${api.contributions}?${q}`) : null);
      if (groups.coverage || groups.support || groups.heat) wanted.push(getJson(`${api.turfs}?${q}`));
      const [reports, zones, contributions, turfs] = await Promise.all(wanted);
      if (run !== loading) return; // a newer view was asked for meanwhile
      drawReports(reports);
      if (contributions) drawContributions(contributions);
      drawAreas(groups.zones, zones,
        (f) => ({ color: PRIORITY[f.properties.priority || 0], weight: 2, fillOpacity: 0.15, className: "zone-shape" }),
        (p) => `<strong>${esc(p.name)}</strong> ${esc(p.code)}<br>${esc(box.dataset.labelCoverage)} : ${percent(p.coverage)}`);
      if (turfs) {
        drawAreas(groups.coverage, turfs, (f) => ({ color: "#14532d", weight: 1, fillColor: shade(f.properties.coverage, 140), fillOpacity: 0.6 }),
          (p) => `<strong>${esc(p.name)}</strong><br>${p.visited} / ${p.doors} · ${percent(p.coverage)}`);
        drawAreas(groups.support, turfs, (f) => ({ color: "#1e3a8a", weight: 1, fillColor: shade(f.properties.support, 220), fillOpacity: 0.6 }),
          (p) => `<strong>${esc(p.name)}</strong><br>${esc(box.dataset.labelSupport)} : ${percent(p.support)}`);
        if (groups.heat && L.heatLayer) {
          groups.heat.clearLayers();
          const points = turfs.features.filter((f) => f.properties.support != null).map((f) => {
            const c = L.geoJSON(f).getBounds().getCenter();
            return [c.lat, c.lng, f.properties.support];
          });
          groups.heat.addLayer(L.heatLayer(points, { radius: 35, max: 1 }));
        }
      }
      await loadVolunteers();
      box.dataset.loaded = String(Date.now());
    } catch (error) {
      box.dataset.error = String(error);
    }
  }

  async function loadVolunteers() {
    if (!groups.volunteers) return;
    const people = await getJson(api.volunteers);
    groups.volunteers.clearLayers();
    L.geoJSON(people, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 8, color: "#7c2d12", fillColor: "#fb923c",
                                                            fillOpacity: 1, className: "volunteer-position" })
        .bindTooltip(`${esc(f.properties.name)} · ${esc(clock.format(new Date(f.properties.at)))}`),
    }).addTo(groups.volunteers);
  }

  let volunteerTimer = null;
  let timer = null;
  function reload() {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  }

  function addLive(reports) {
    for (const r of reports) {
      lastReportId = Math.max(lastReportId, r.id);
      counters.reports.textContent = String(Number(counters.reports.textContent) + 1);
      if (r.reached) counters.reached.textContent = String(Number(counters.reached.textContent) + 1);
      if (r.lat == null) continue;
      L.circleMarker([r.lat, r.lon], { radius: 7, weight: 2, color: "#111827", fillColor: RESULT[r.result] || "#1d4ed8",
                                       fillOpacity: 1, className: "live-report" })
        .bindPopup(esc((RESULT_LABELS[r.action] || {})[r.result] || r.result)).addTo(liveLayer);
    }
    box.dataset.lastReport = String(lastReportId);
  }

  // Live reports; after a cut, reconnect and fetch what was missed.
  function listen() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let delay = 1000;
    let opened = false;
    function connect() {
      const socket = new WebSocket(scheme + location.host + "/ws/live/");
      window.liveSocket = socket;
      socket.onopen = async () => {
        delay = 1000;
        box.dataset.live = "true";
        if (opened) {
          const missed = await getJson(`${api.catchup}?after=${lastReportId}`);
          addLive(missed.reports.filter((r) => r.id > lastReportId));
        }
        opened = true;
      };
      socket.onmessage = (message) => {
        const data = JSON.parse(message.data);
        if (data.event === "field.reports") {
          addLive(data.payload.reports.filter((r) => r.id > lastReportId));
          clearTimeout(volunteerTimer); // someone may have moved
          volunteerTimer = setTimeout(loadVolunteers, 1000);
        }
        if (data.event === "contribution") addContribution(data.payload);
        if (data.event === "zone.changed" || data.event === "turfs.changed") reload();
      };
      socket.onclose = (event) => {
        box.dataset.live = "false";
        if (event.code === 4403 || event.code === 4404) return;
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    connect();
  }

  filterForm.addEventListener("change", reload);
  filterForm.addEventListener("submit", (event) => { event.preventDefault(); reload(); });
  map.on("moveend", reload);
  groups.reports.addLayer(liveLayer);
  const [w, s, e, n] = JSON.parse(api.extent);
  map.fitBounds([[s, w], [n, e]]);
  load();
  listen();
})();
