/* The gap report's map: construction phases coloured by how much floor space is missing at the chosen
 * quarter, each with a permanent label (its name), and the public spaces within reach that exist by then.
 * The quarter comes from the range input #gap-when. Every text (names, measures) is formatted by the server
 * and reaches the page through textContent only. */
(function () {
  "use strict";
  function el(tag, text) { var n = document.createElement(tag); if (text != null) n.textContent = String(text); return n; }
  function colour(t) {
    if (!t || !t.demand_m2) return "#7f8c8d";        // nobody lives there yet
    var missing = t.gap_m2 / t.demand_m2;            // share of the floor space needed that is not there
    if (missing <= 0) return "#1e7b34";
    if (missing < 0.34) return "#f1c40f";
    if (missing < 0.67) return "#e67e22";
    return "#c0392b";
  }
  function popup(p, t, when) {
    var box = el("div"); box.className = "rf-popup";
    box.appendChild(el("h3", p.name));
    box.appendChild(el("p", p.status_label + (p.move_in_label ? " · " + p.move_in_label : "") + " · " + when));
    (t ? t.lines : []).forEach(function (line) { box.appendChild(el("p", line)); });
    return box;
  }
  function exists(space, day) {
    var f = space.properties.available_from, u = space.properties.available_until;
    return (!f || f <= day) && (!u || day <= u);
  }
  function attach(map, options) {
    var state = { data: null, index: 0 };
    var phases = L.geoJSON(null, {
      style: function (f) { var c = colour(f.properties.timeline[state.index]); return { color: c, weight: 2, fillColor: c, fillOpacity: 0.45 }; },
      onEachFeature: function (f, l) {
        l.bindTooltip(el("span", f.properties.name), { permanent: true, direction: "center", className: "phase-label" });
      }
    }).addTo(map);
    // The spaces in a pane of their own, above the phases (and apart from them for anyone counting phases).
    map.createPane("gapSpaces").style.zIndex = 450;
    var spaces = L.layerGroup().addTo(map);
    // With a street network, each phase's walking isochrone (the area reached on foot within the norm's walk),
    // as a dashed outline under the spaces; loaded once per phase from the API.
    var walks = L.layerGroup().addTo(map);
    function drawWalks(data) {
      var drawn = 0, wanted = 0;
      data.features.forEach(function (f) {
        if (!f.properties.isochrone) return;
        wanted += 1;
        fetch(f.properties.isochrone, { headers: { Accept: "application/geo+json, application/json" } })
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
          .then(function (geometry) {
            walks.addLayer(L.geoJSON(geometry, { color: "#0b5394", weight: 2, dashArray: "6 4", fill: false,
                                                 interactive: false, className: "rf-isochrone" }));
            drawn += 1;
            map.getContainer().setAttribute("data-isochrones", String(drawn));
          })
          .catch(function (err) { console.error("Raumfinder: isochrone failed", err); });
      });
      map.getContainer().setAttribute("data-walks", String(wanted));
    }
    var slider = document.getElementById("gap-when"), output = document.getElementById("gap-when-text");
    var names = slider ? JSON.parse(slider.getAttribute("data-labels") || "[]") : [];

    function show(index) {
      var data = state.data, quarter = data.quarters[index];
      if (!quarter) return;
      state.index = index;
      if (output) output.textContent = names[index] || quarter.label;
      phases.eachLayer(function (l) {
        var p = l.feature.properties, t = p.timeline[index];
        l.setStyle(phases.options.style(l.feature));
        l.bindPopup(popup(p, t, quarter.label));
      });
      spaces.clearLayers();
      var shown = 0;
      data.spaces.features.forEach(function (s) {
        if (!exists(s, quarter.as_of)) return;
        var c = s.geometry.coordinates;
        var marker = L.circleMarker([c[1], c[0]], { pane: "gapSpaces", radius: 6, color: "#0b5394", weight: 2, fillColor: "#fff", fillOpacity: 1 });
        var tip = el("span", s.properties.name + " – " + s.properties.text);
        marker.bindTooltip(tip);
        marker.bindPopup(el("p", s.properties.name + " – " + s.properties.text));
        spaces.addLayer(marker);
        shown += 1;
      });
      map.getContainer().setAttribute("data-quarter", quarter.date);
      map.getContainer().setAttribute("data-spaces", String(shown));
    }
    function fit() {
      map.invalidateSize({ animate: false });
      if (phases.getLayers().length) map.fitBounds(phases.getBounds(), { padding: [20, 20], animate: false });
    }
    fetch(options.gaps, { headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        state.data = data;
        phases.addData(data);
        drawWalks(data);
        show(0);
        fit();
        map.getContainer().setAttribute("data-phases", String(data.features.length));
        map.getContainer().setAttribute("data-loaded", "1");
      });
    if (slider) slider.addEventListener("input", function () { if (state.data) show(Number(slider.value)); });
    // Paper is wider or narrower than the screen: lay the map out anew for printing (and back).
    window.addEventListener("beforeprint", fit);
    window.addEventListener("afterprint", fit);
    if (window.matchMedia) {
      var print = window.matchMedia("print");
      if (print.addEventListener) print.addEventListener("change", fit);
    }
    window.RaumfinderGaps.layer = phases;
    window.RaumfinderGaps.spaces = spaces;
    window.RaumfinderGaps.walks = walks;
    window.RaumfinderGaps.show = show;
  }
  window.RaumfinderGaps = { attach: attach, colour: colour };
})();
