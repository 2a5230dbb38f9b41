// Idea box maps: the step's proposals (GeoJSON from our own API), and the map where a
// citizen places a proposal (the click fills the form's hidden latitude/longitude).
(function () {
  "use strict";
  function base(el) {
    const map = L.map(el, { scrollWheelZoom: false });
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    }
    return map;
  }
  function esc(text) {
    const span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span.innerHTML;
  }
  async function showProposals(el) {
    const map = base(el);
    const response = await fetch(el.dataset.geojson, { headers: { Accept: "application/json" } });
    const data = await response.json();
    const layer = L.geoJSON(data, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 8, weight: 2, fillOpacity: 0.8 }),
      onEachFeature: (f, l) => l.bindPopup(
        `<a href="${esc(f.properties.url)}">${esc(f.properties.title)}</a><br>${esc(f.properties.votes)} ♥`),
    }).addTo(map);
    if (data.features.length) map.fitBounds(layer.getBounds(), { maxZoom: 16, padding: [20, 20] });
    else map.setView([46.6, 2.4], 5);
  }
  function pick(el) {
    const map = base(el);
    const form = el.closest("form");
    const lat = form.querySelector("input[name=latitude]");
    const lon = form.querySelector("input[name=longitude]");
    const status = document.getElementById("pick-status");
    let marker = null;
    map.setView([46.6, 2.4], 5);
    if (navigator.geolocation) {
      navigator.geolocation.getCurrentPosition((pos) => map.setView([pos.coords.latitude, pos.coords.longitude], 15),
                                               () => {}, { timeout: 5000 });
    }
    map.on("click", (e) => {
      lat.value = e.latlng.lat.toFixed(6);
      lon.value = e.latlng.lng.toFixed(6);
      if (marker) marker.setLatLng(e.latlng);
      else marker = L.marker(e.latlng).addTo(map);
      if (status) status.textContent = `${lat.value}, ${lon.value}`;
    });
    form.closest("details")?.addEventListener("toggle", () => map.invalidateSize());
  }
  // A questionnaire's "place" question: the click writes "lat,lon" into its hidden input.
  function pickInto(el) {
    const map = base(el);
    const input = document.getElementById(el.dataset.input);
    const status = document.getElementById(`${el.dataset.input}-status`);
    let marker = null;
    const [lat, lon] = (input.value || "").split(",").map(Number);
    if (input.value) {
      map.setView([lat, lon], 15);
      marker = L.marker([lat, lon]).addTo(map);
    } else {
      map.setView([46.6, 2.4], 5);
    }
    map.on("click", (e) => {
      input.value = `${e.latlng.lat.toFixed(6)},${e.latlng.lng.toFixed(6)}`;
      if (marker) marker.setLatLng(e.latlng);
      else marker = L.marker(e.latlng).addTo(map);
      if (status) status.textContent = input.value;
    });
  }
  function start() {
    if (!window.L) return;
    for (const el of document.querySelectorAll(".place-pick")) pickInto(el);
    const list = document.getElementById("ideas-map");
    if (list) showProposals(list);
    const picker = document.getElementById("pick-map");
    if (picker) pick(picker);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
