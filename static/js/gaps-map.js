/* The gap report's map: construction phases coloured by how much community space is missing now.
 * Names reach the page through textContent only. */
(function () {
  "use strict";
  function el(tag, text) { var n = document.createElement(tag); if (text != null) n.textContent = String(text); return n; }
  function colour(p) {
    if (!p.demand_m2) return "#7f8c8d";            // nobody lives there yet
    var missing = p.gap_m2 / p.demand_m2;          // share of the demand not met
    if (missing <= 0) return "#1e7b34";
    if (missing < 0.34) return "#f1c40f";
    if (missing < 0.67) return "#e67e22";
    return "#c0392b";
  }
  function popup(p) {
    var box = el("div"); box.className = "rf-popup";
    box.appendChild(el("h3", p.name));
    box.appendChild(el("p", p.status_label + (p.move_in ? " · Einzug ab " + p.move_in : "")));
    box.appendChild(el("p", "Bewohner:innen jetzt: " + p.residents_now + " von " + p.residents_full));
    box.appendChild(el("p", "Bedarf " + p.demand_m2 + " m², Angebot " + p.supply_m2 + " m², Lücke " + p.gap_m2 + " m²"));
    box.appendChild(el("p", "Fußläufig versorgt: " + Math.round(p.coverage * 100) + " % der Fläche"));
    return box;
  }
  function attach(map, options) {
    var layer = L.geoJSON(null, {
      style: function (f) { var c = colour(f.properties); return { color: c, weight: 2, fillColor: c, fillOpacity: 0.45 }; },
      onEachFeature: function (f, l) { l.bindPopup(popup(f.properties)); l.bindTooltip(el("span", f.properties.name)); }
    }).addTo(map);
    fetch(options.gaps, { headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        layer.addData(data);
        if (data.features.length) map.fitBounds(layer.getBounds(), { padding: [20, 20] });
        map.getContainer().setAttribute("data-phases", String(data.features.length));
        map.getContainer().setAttribute("data-loaded", "1");
      });
    window.RaumfinderGaps.layer = layer;
  }
  window.RaumfinderGaps = { attach: attach, colour: colour };
})();
