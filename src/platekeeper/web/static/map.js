// Draws the maps of the pages with the vendored Leaflet. Each map is a
// <div data-map data-points="ID"> whose points come from the JSON data block
// #ID: [{"lat": .., "lon": .., "label": ".."}]. With data-line="true" the
// points are joined in order (a journey). Without a tile URL no background
// layer is requested at all, so nothing leaves this server.
(function () {
  "use strict";

  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text;  // never innerHTML: labels are data
    return span;
  }

  function draw(el) {
    if (el.dataset.mapReady === "true" || typeof L === "undefined") {
      return;
    }
    var source = document.getElementById(el.dataset.points);
    var points = source ? JSON.parse(source.textContent || "[]") : [];
    var center = JSON.parse(el.dataset.center || "[0, 0]");
    var map = L.map(el, { zoomControl: true }).setView(center, Number(el.dataset.zoom || 6));
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
    } else {
      el.classList.add("map-no-tiles");
    }
    var latlngs = points.map(function (p) { return [Number(p.lat), Number(p.lon)]; });
    // The route first, so that the sightings are drawn (and hovered) above it.
    if (el.dataset.line === "true" && latlngs.length > 1) {
      L.polyline(latlngs, { color: "#1971c2", weight: 3, opacity: 0.7, interactive: false }).addTo(map);
    }
    points.forEach(function (p, i) {
      var ll = latlngs[i];
      var last = i === points.length - 1;
      L.circleMarker(ll, {
        radius: last ? 9 : 7, weight: 2, color: "#123b5d",
        fillColor: last ? "#d9480f" : "#1971c2", fillOpacity: 0.85
      }).bindTooltip(textNode(p.label || ""), { direction: "top" }).addTo(map);
    });
    if (latlngs.length > 0) {
      map.fitBounds(latlngs, { padding: [32, 32], maxZoom: 14 });
    }
    el.dataset.mapReady = "true";
    el.dataset.markers = String(latlngs.length);
  }

  function scan(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-map]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { scan(document); });
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
})();
