// The team's zone map: zones from the API by bounding box, coloured by priority;
// organizers draw new ones with Leaflet-Geoman. Everything is served from our own
// static files; the tile layer is the campaign's setting (none: a blank background).
(function () {
  "use strict";
  const COLOURS = { 1: "#b91c1c", 2: "#ea580c", 3: "#ca8a04", 0: "#6b7280" };

  function csrfToken() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // Zones drawn or changed elsewhere appear without a reload. Reconnects after a
  // network cut; a refusal (4403 not allowed, 4404 no campaign) stops it.
  function listen(onChange) {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    let delay = 1000;
    function connect() {
      const socket = new WebSocket(scheme + location.host + "/ws/live/");
      socket.onopen = () => { delay = 1000; };
      socket.onmessage = (message) => {
        const data = JSON.parse(message.data);
        if (data.event === "zone.changed") onChange();
      };
      socket.onclose = (event) => {
        if (event.code === 4403 || event.code === 4404) return;
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    connect();
  }

  function start() {
    const element = document.getElementById("zone-map");
    if (!element || !window.L) return;
    const api = element.dataset.api;
    const map = L.map(element, { preferCanvas: false }).setView([46.6, 2.4], 6);
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
    }
    const layer = L.geoJSON(null, {
      style: (feature) => ({ color: COLOURS[feature.properties.priority || 0], weight: 2, fillOpacity: 0.25 }),
      onEachFeature: (feature, shape) => {
        const p = feature.properties;
        const title = document.createElement("strong");
        title.textContent = p.name + (p.code ? " (" + p.code + ")" : "");
        const detail = document.createElement("div");
        detail.textContent = (p.score !== null ? "score " + p.score.toFixed(2) : "");
        const box = document.createElement("div");
        box.append(title, detail);
        shape.bindPopup(box);
      },
    }).addTo(map);
    let fitted = false;

    function load() {
      const b = map.getBounds();
      const bbox = fitted ? "?in_bbox=" + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].join(",") : "";
      fetch(api + bbox, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => r.json())
        .then((data) => {
          layer.clearLayers();
          layer.addData(data);
          document.getElementById("zone-count").textContent = data.features.length;
          if (!fitted && data.features.length) {
            fitted = true;
            map.fitBounds(layer.getBounds());
          }
          element.dataset.loaded = String(data.features.length);
        });
    }
    map.on("moveend", () => fitted && load());
    load();
    listen(load);

    if (element.dataset.editable !== "true" || !map.pm) return;
    map.pm.setLang(document.documentElement.lang === "en" ? "en" : "fr");
    map.pm.addControls({
      position: "topleft", drawMarker: false, drawCircleMarker: false, drawPolyline: false,
      drawRectangle: true, drawCircle: false, drawText: false, editMode: false, dragMode: false,
      cutPolygon: false, removalMode: false, rotateMode: false,
    });
    // Geoman puts each button's name on its container only: give it to the button
    // itself, for screen readers and keyboard users.
    element.querySelectorAll(".button-container[title] > .leaflet-buttons-control-button").forEach((button) => {
      button.setAttribute("aria-label", button.parentElement.getAttribute("title"));
    });
    const form = document.getElementById("new-zone");
    const errors = document.getElementById("zone-errors");
    let drawn = null;
    map.on("pm:create", (event) => {
      drawn = event.layer;
      form.hidden = false;
      document.getElementById("zone-name").focus();
    });
    document.getElementById("zone-cancel").addEventListener("click", () => {
      if (drawn) map.removeLayer(drawn);
      drawn = null;
      form.hidden = true;
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!drawn) return;
      const data = new FormData(form);
      const asTurf = data.get("as") === "turf";
      const body = {
        type: "Feature",
        geometry: drawn.toGeoJSON().geometry,
        properties: asTurf
          ? { name: data.get("name") }
          : { name: data.get("name"), code: data.get("code") || "", priority: data.get("priority") || null },
      };
      fetch(asTurf ? element.dataset.turfApi : api, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      }).then((r) => r.json().then((json) => ({ ok: r.ok, json })))
        .then(({ ok, json }) => {
          if (!ok) {
            errors.textContent = Object.entries(json).map(([k, v]) => k + " : " + [].concat(v).join(" ")).join(" ; ");
            return;
          }
          map.removeLayer(drawn);
          drawn = null;
          form.reset();
          form.hidden = true;
          errors.textContent = "";
          // A drawn turf holds the buildings it covers: say how many doors that is.
          document.getElementById("zone-status").textContent = asTurf
            ? `${json.properties.name} : ${json.properties.door_count} ${element.dataset.doorsLabel}`
            : "";
          load();
        });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
