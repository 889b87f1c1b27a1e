/* Raumfinder map layers: spaces and construction phases loaded as GeoJSON from the API.
 * Every string from the data goes through textContent, never innerHTML, so no name can run script. */
(function () {
  "use strict";
  var PHASE_COLOURS = { occupied: "#c0392b", building: "#e67e22", planned: "#7f8c8d" };
  var KIND_LETTERS = { room: "R", hall: "S", kitchen: "K", workshop: "W", coworking: "C", studio: "St", outdoor: "T" };
  // The words this script shows; attach() replaces them with options.text, translated by the server.
  var TEXT = {
    persons: "bis %(n)s Personen",
    step_free: "stufenlos",
    not_step_free: "nicht stufenlos",
    accessible_wc: "barrierefreies WC",
    next_loading: "Nächste freie Zeit wird geladen …",
    next_free: "Nächste freie Zeit: %(when)s",
    none_free: "In den nächsten zwei Wochen nichts frei.",
    details: "Details und Buchung",
    move_in: "Einzug ab %(date)s",
    homes: "%(n)s Wohnungen",
    spaces_layer: "Räume und Treffpunkte",
    cluster: "%(n)s Räume hier – vergrößern",
    phases_layer: "Bauabschnitte",
    search_here: "Hier suchen",
    phase_label: "Bauabschnitt %(name)s",
    date_locale: "de-DE",
    kind_letters: KIND_LETTERS,
    kind_labels: {},
    months: ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."],
    from_date: "ab %(date)s",
    until_date: "bis %(date)s"
  };
  var TODAY = "";  // the service's day (options.today), YYYY-MM-DD
  var SPACE_URL = "/raeume/";
  var SPACE_QUERY = "";  // the search this map shows ("?date=…&from=…"), carried on to a space's page

  // "ab Sept. 2027" for a planned space, "bis Dez. 2026" for a temporary one, as the server's period label.
  function periodLabel(p) {
    if (p.period_label !== undefined) return p.period_label;
    function monthYear(iso) { return TEXT.months[Number(iso.slice(5, 7)) - 1] + " " + iso.slice(0, 4); }
    var parts = [];
    if (p.available_from && p.available_from > TODAY) parts.push(t("from_date", { date: monthYear(p.available_from) }));
    if (p.available_until) parts.push(t("until_date", { date: monthYear(p.available_until) }));
    return parts.join(", ");
  }
  function kindLabel(p) { return p.kind_label || TEXT.kind_labels[p.kind] || p.kind; }

  // A translated pattern with %(name)s placeholders filled in from `values`.
  function t(key, values) {
    return String(TEXT[key]).replace(/%\((\w+)\)s/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function hhmm(iso) { return iso.slice(11, 16); }
  function dayLabel(iso) {
    var d = new Date(iso.slice(0, 10) + "T12:00:00");
    return d.toLocaleDateString(TEXT.date_locale, { weekday: "short", day: "numeric", month: "numeric" });
  }

  function spacePopup(p) {
    var box = el("div", null, { "class": "rf-popup" });
    box.appendChild(el("h3", p.name));
    box.appendChild(el("p", kindLabel(p) + " · " + t("persons", { n: p.capacity })));
    var access = [t(p.step_free ? "step_free" : "not_step_free")];
    if (p.accessible_wc) access.push(t("accessible_wc"));
    box.appendChild(el("p", access.join(", ")));
    var period = periodLabel(p);
    if (period) box.appendChild(el("p", period));
    var next = el("p", t("next_loading"), { "class": "rf-next" });
    box.appendChild(next);
    var more = el("p");
    more.appendChild(el("a", t("details"), { href: p.url || SPACE_URL + encodeURIComponent(p.id) + SPACE_QUERY }));
    box.appendChild(more);
    return box;
  }

  function loadNextFree(box, id) {
    var target = box.querySelector(".rf-next");
    fetch("/api/spaces/" + encodeURIComponent(id), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (f) {
        var n = f.properties.next_free;
        target.textContent = n ? t("next_free", { when: dayLabel(n.start) + " " + hhmm(n.start) + "–" + hhmm(n.end) })
                               : t("none_free");
      })
      .catch(function () { target.textContent = ""; });
  }

  function phasePopup(p) {
    var box = el("div", null, { "class": "rf-popup" });
    box.appendChild(el("h3", p.name));
    box.appendChild(el("p", p.status_label + (p.move_in ? " · " + t("move_in", { date: p.move_in }) : "")));
    box.appendChild(el("p", t("homes", { n: p.homes })));
    return box;
  }

  function spaceIcon(p) {
    var cls = "rf-marker " + (p.free_now ? "rf-free" : "rf-busy") + (periodLabel(p) ? " rf-period" : "");
    var node = el("span", TEXT.kind_letters[p.kind] || KIND_LETTERS[p.kind] || "?", { "class": cls, title: kindLabel(p) });
    return L.divIcon({ html: node, className: "rf-icon", iconSize: [30, 30], iconAnchor: [15, 15], popupAnchor: [0, -12] });
  }

  function withBbox(url, map) {
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "bbox=" + bbox.join(",");
  }

  function load(url, onData, onError) {
    fetch(url, { headers: { Accept: "application/geo+json, application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(onData)
      .catch(function (err) { console.error("Raumfinder: " + url + " failed", err); if (onError) onError(err); });
  }

  // A tap on the map only offers to search there: panning or a stray tap never re-runs the search.
  function offerPlace(map, latlng) {
    var form = document.querySelector("form.filters");
    if (!form || !form.elements.lat) return;
    var box = el("div", null, { "class": "rf-popup rf-here" });
    var button = el("button", t("search_here"), { type: "button", "class": "search-here" });
    button.addEventListener("click", function () {
      form.elements.lat.value = latlng.lat.toFixed(5);
      form.elements.lon.value = latlng.lng.toFixed(5);
      if (form.elements.quartier) form.elements.quartier.value = "";
      if (form.elements.sort) form.elements.sort.value = "distance";
      form.submit();
    });
    box.appendChild(button);
    L.popup({ autoPan: true }).setLatLng(latlng).setContent(box).openOn(map);
    button.focus();
  }

  function layerNames(cluster, phases) {
    var overlays = {};
    overlays[t("spaces_layer")] = cluster;
    overlays[t("phases_layer")] = phases;
    return overlays;
  }

  function attach(map, options) {
    var container = map.getContainer();
    Object.keys(options.text || {}).forEach(function (k) { TEXT[k] = options.text[k]; });
    TODAY = options.today || new Date().toISOString().slice(0, 10);
    if (options.space_url) SPACE_URL = options.space_url;
    if (options.space_query) SPACE_QUERY = "?" + options.space_query;
    // Without a tile layer Leaflet knows no zoom limit, which clustering needs.
    if (!isFinite(map.getMaxZoom())) map.setMaxZoom(19);
    var phases = L.geoJSON(null, {
      style: function (f) {
        var c = PHASE_COLOURS[f.properties.status] || "#555";
        return { color: c, weight: 2, fillColor: c, fillOpacity: 0.2 };
      },
      onEachFeature: function (f, layer) {
        layer.bindPopup(phasePopup(f.properties));
        layer.bindTooltip(el("span", f.properties.name));
        // A phase's area is a tab stop (its popup says when people move in): it says its name, and Enter opens it.
        layer.on("add", function () {
          var path = layer.getElement && layer.getElement();
          if (!path) return;
          path.setAttribute("tabindex", "0");
          path.setAttribute("role", "button");
          path.setAttribute("aria-label", t("phase_label", { name: f.properties.name }));
          path.addEventListener("keydown", function (e) {
            if (e.key === "Enter" || e.key === " ") { e.preventDefault(); layer.openPopup(); }
          });
        });
      }
    }).addTo(map);
    var cluster = L.markerClusterGroup ? L.markerClusterGroup({ maxClusterRadius: 40, showCoverageOnHover: false })
                                       : L.layerGroup();
    // A cluster takes focus like a marker, and Enter opens it as a click does (markercluster only zooms on clicks).
    cluster.on("clusterkeydown", function (e) {
      if (e.originalEvent && e.originalEvent.key === "Enter") e.layer.zoomToBounds({ padding: [20, 20] });
    });
    // Where the view holds more than MAX_MARKERS matching spaces (zoomed out over a city) the map shows
    // counts per grid cell, computed by the server over EVERY matching space in view (/api/spaces/clusters):
    // never a sample. Otherwise it loads the spaces themselves (and Leaflet.markercluster groups them, exactly,
    // since all are there). Both live in one layer the layer control switches.
    var MAX_MARKERS = options.max_markers || 500;
    var counts = L.layerGroup();
    var shown = L.layerGroup([cluster, counts]).addTo(map);
    // Markers are kept by space id: a refresh after panning adds and removes only what changed,
    // so an open popup survives and the map does not flicker.
    var spaces = L.featureGroup();
    var byId = {};
    function makeMarker(f) {
      var latlng = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
      var layer = L.marker(latlng, { icon: spaceIcon(f.properties), keyboard: true, title: f.properties.name });
      layer.feature = f;
      var box = spacePopup(f.properties);
      layer.bindPopup(box);
      layer.on("popupopen", function () { loadNextFree(box, f.properties.id); });
      layer.bindTooltip(el("span", f.properties.name));
      return layer;
    }
    function countIcon(n) {
      var size = n < 10 ? 30 : n < 100 ? 36 : n < 1000 ? 44 : 52;
      var node = el("span", n, { "class": "rf-count", "data-count": String(n) });
      return L.divIcon({ html: node, className: "rf-icon rf-count-icon", iconSize: [size, size],
                         iconAnchor: [size / 2, size / 2] });
    }
    function dropMarkers() {
      var all = Object.keys(byId).map(function (id) { return byId[id]; });
      all.forEach(function (l) { spaces.removeLayer(l); });
      if (cluster.removeLayers) cluster.removeLayers(all); else all.forEach(function (l) { cluster.removeLayer(l); });
      byId = {};
    }
    function showCounts(data) {
      dropMarkers();
      counts.clearLayers();
      data.features.forEach(function (f) {
        var latlng = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
        var n = f.properties.count;
        // A marker (not a circle): it is focusable, and Enter zooms in like a click.
        var marker = L.marker(latlng, { icon: countIcon(n), keyboard: true, title: t("cluster", { n: n }) });
        function zoomIn() { map.setView(latlng, Math.min(map.getZoom() + 2, map.getMaxZoom())); }
        marker.on("click", zoomIn);
        // Leaflet answers Enter on a marker only by opening its popup; a count has none, so it zooms in.
        marker.on("keypress", function (e) { if (e.originalEvent.key === "Enter") zoomIn(); });
        counts.addLayer(marker);
      });
      container.setAttribute("data-mode", "clusters");
      container.setAttribute("data-total", String(data.total));
      container.setAttribute("data-spaces", "0");
    }
    function showSpaces(data) {
      counts.clearLayers();
      var keep = {}, added = [], removed = [];
      data.features.forEach(function (f) {
        keep[f.id] = true;
        var old = byId[f.id];
        if (old && old.feature.properties.free_now === f.properties.free_now) return;
        if (old) removed.push(old);
        byId[f.id] = makeMarker(f);
        added.push(byId[f.id]);
      });
      Object.keys(byId).forEach(function (id) {
        if (!keep[id] && !byId[id].isPopupOpen()) { removed.push(byId[id]); delete byId[id]; }
      });
      removed.forEach(function (l) { spaces.removeLayer(l); });
      added.forEach(function (l) { spaces.addLayer(l); });
      if (cluster.removeLayers) { cluster.removeLayers(removed); cluster.addLayers(added); }
      else { removed.forEach(function (l) { cluster.removeLayer(l); }); added.forEach(function (l) { cluster.addLayer(l); }); }
      container.setAttribute("data-mode", "spaces");
      container.setAttribute("data-total", String(data.features.length));
      container.setAttribute("data-spaces", String(data.features.length));
      container.setAttribute("data-truncated", data.truncated ? "1" : "0");
    }
    function withParams(url, extra) {
      return withBbox(url, map) + "&" + extra;
    }
    var seq = 0, asked = null;
    function refresh() {
      var url = withParams(options.clusters, "zoom=" + map.getZoom());
      if (url === asked) return;  // this view is shown or on its way (e.g. a moveend after the first fit)
      var mine = ++seq;
      asked = url;
      container.setAttribute("data-loaded", "0");
      function failed() { if (mine === seq) { asked = null; container.setAttribute("data-loaded", "error"); } }
      // data-asked: the view whose answer is shown, so a reader compares like with like.
      function done() { container.setAttribute("data-asked", url); container.setAttribute("data-loaded", "1"); }
      // First the counts of everything in view; the spaces themselves only when there are few enough.
      load(url, function (data) {
        if (mine !== seq) return;
        if (data.total > MAX_MARKERS) { showCounts(data); done(); return; }
        load(withParams(options.spaces, "limit=" + MAX_MARKERS), function (found) {
          if (mine !== seq) return;
          if (found.truncated) showCounts(data); else showSpaces(found);
          done();
        }, failed);
      }, failed);
    }
    var timer = null;
    map.on("moveend", function () { clearTimeout(timer); timer = setTimeout(refresh, 250); });
    map.on("click", function (e) { offerPlace(map, e.latlng); });
    // "Wo bin ich?": found, the map offers to search around that place, as a tap does.
    map.on("locationfound", function (e) { offerPlace(map, e.latlng); });
    load(options.phases, function (data) { phases.addData(data); });
    if (options.near) {
      var here = L.latLng(options.near[1], options.near[0]);
      // The area within the walk: on the street network the isochrone from /api/isochrone (a polygon); without a
      // network, or when it cannot be had, the circle of the straight-line rule (geo.walking).
      var circle = function () {
        L.circle(here, { radius: options.radius || 923, color: "#0b5394", weight: 1, fillOpacity: 0.05, interactive: false }).addTo(map);
        container.setAttribute("data-walk-area", "circle");
      };
      if (options.isochrone) {
        load(options.isochrone, function (data) {
          L.geoJSON(data, { color: "#0b5394", weight: 1, fillOpacity: 0.08, interactive: false,
                            className: "rf-isochrone" }).addTo(map);
          var method = data && data.properties && data.properties.method;
          container.setAttribute("data-walk-area", method === "straight_line" ? "circle" : "isochrone");
        }, circle);
      } else {
        circle();
      }
      L.circleMarker(here, { radius: 6, color: "#000", fillColor: "#f9a825", fillOpacity: 1, interactive: false }).addTo(map);
      if (!options.fit) map.setView(here, 14, { animate: false });
    }
    // After a search the map shows where the listed results are (and the place searched near).
    // Not animated: the first refresh below asks for the view the visitor will see, not the one before.
    if (options.fit) map.fitBounds(options.fit, { padding: [28, 28], maxZoom: 16, animate: false });
    container.setAttribute("data-fit", options.fit ? "1" : "0");
    refresh();
    window.Raumfinder.layers = { spaces: spaces, cluster: cluster, counts: counts, phases: phases, map: map };
    L.control.layers(null, layerNames(shown, phases), { collapsed: true }).addTo(map);
  }

  window.Raumfinder = { attach: attach };
})();
