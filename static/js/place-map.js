// A small map with one marker: an event's place. Tiles from the campaign's own
// setting (empty: a blank background, nothing requested from another host).
(function () {
  "use strict";
  function draw() {
    var el = document.getElementById("place-map");
    if (!el || !window.L) return;
    var at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
    var map = L.map(el, { scrollWheelZoom: false }).setView(at, 15);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    }
    L.circleMarker(at, { radius: 9, weight: 3 }).addTo(map);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", draw);
  else draw();
})();
