/* Raumfinder map layers: spaces and construction phases loaded as GeoJSON from the API.
 * Every string from the data goes through textContent, never innerHTML, so no name can run script. */
(function () {
  "use strict";
  var PHASE_COLOURS = { occupied: "#c0392b", building: "#e67e22", planned: "#7f8c8d" };

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function spacePopup(p) {
    var box = el("div", null, { "class": "rf-popup" });
    box.appendChild(el("h3", p.name));
    box.appendChild(el("p", p.kind_label + " · bis " + p.capacity + " Personen"));
    box.appendChild(el("p", p.step_free ? "barrierefrei" : "nicht barrierefrei"));
    if (p.period_label) box.appendChild(el("p", p.period_label));
    var more = el("p");
    more.appendChild(el("a", "Details und Buchung", { href: p.url }));
    box.appendChild(more);
    return box;
  }

  function phasePopup(p) {
    var box = el("div", null, { "class": "rf-popup" });
    box.appendChild(el("h3", p.name));
    box.appendChild(el("p", p.status_label + (p.move_in ? " · Einzug ab " + p.move_in : "")));
    box.appendChild(el("p", p.homes + " Wohnungen"));
    return box;
  }

  function load(url, onData) {
    fetch(url, { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(onData)
      .catch(function (err) { console.error("Raumfinder: " + url + " failed", err); });
  }

  function attach(map, options) {
    var phases = L.geoJSON(null, {
      style: function (f) {
        var c = PHASE_COLOURS[f.properties.status] || "#555";
        return { color: c, weight: 2, fillColor: c, fillOpacity: 0.25 };
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(phasePopup(f.properties));
        layer.bindTooltip(el("span", f.properties.name));
      }
    }).addTo(map);
    var spaces = L.geoJSON(null, {
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 8, color: "#0b5394", weight: 2, fillColor: "#3d85c6", fillOpacity: 0.9 });
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(spacePopup(f.properties));
        layer.bindTooltip(el("span", f.properties.name));
      }
    }).addTo(map);
    map.getContainer().setAttribute("data-loaded", "0");
    load(options.phases, function (data) { phases.addData(data); });
    load(options.spaces, function (data) {
      spaces.addData(data);
      map.getContainer().setAttribute("data-loaded", "1");
      map.getContainer().setAttribute("data-spaces", String(data.features.length));
    });
    L.control.layers(null, { "Räume und Treffpunkte": spaces, "Bauabschnitte": phases }).addTo(map);
  }

  window.Raumfinder = { attach: attach };
})();
