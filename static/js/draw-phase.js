/* Drawing a construction phase's area on the map (Leaflet.draw via folium.plugins.Draw): the drawn or
 * edited polygon's GeoJSON geometry is written into the form's textarea, one polygon at a time. The
 * textarea stays visible and editable, so the form works without this script; pasting GeoJSON there
 * shows it on the map. On an edit page the stored area is shown from the textarea's content. */
(function () {
  "use strict";

  var DIGITS = 6; // about 10 cm

  // The drawing tool's words in the page's language (set by the template before this script).
  function localize(texts) {
    if (!texts || !window.L || !L.drawLocal) return;
    var draw = L.drawLocal.draw, edit = L.drawLocal.edit;
    draw.toolbar.buttons.polygon = texts.polygon;
    draw.toolbar.actions.title = texts.cancel;
    draw.toolbar.actions.text = texts.cancel;
    draw.toolbar.finish.title = texts.finish;
    draw.toolbar.finish.text = texts.finish;
    draw.toolbar.undo.title = texts.undo;
    draw.toolbar.undo.text = texts.undo;
    draw.handlers.polygon.tooltip.start = texts.start;
    draw.handlers.polygon.tooltip.cont = texts.cont;
    draw.handlers.polygon.tooltip.end = texts.end;
    draw.handlers.polyline.error = texts.intersect;
    edit.toolbar.actions.save.title = texts.save;
    edit.toolbar.actions.save.text = texts.save;
    edit.toolbar.actions.cancel.title = texts.cancel;
    edit.toolbar.actions.cancel.text = texts.cancel;
    edit.toolbar.actions.clearAll.title = texts.clearAll;
    edit.toolbar.actions.clearAll.text = texts.clearAll;
    edit.toolbar.buttons.edit = texts.edit;
    edit.toolbar.buttons.editDisabled = texts.editDisabled;
    edit.toolbar.buttons.remove = texts.remove;
    edit.toolbar.buttons.removeDisabled = texts.removeDisabled;
    edit.handlers.edit.tooltip.text = texts.editTooltip;
    edit.handlers.edit.tooltip.subtext = "";
    edit.handlers.remove.tooltip.text = texts.removeTooltip;
  }

  localize(window.RaumfinderDrawTexts);

  function parse(text) {
    if (!text || !String(text).trim()) return null;
    try {
      var doc = JSON.parse(text);
      if (doc && doc.type === "Feature") doc = doc.geometry;
      if (doc && (doc.type === "Polygon" || doc.type === "MultiPolygon")) return doc;
    } catch (e) {
      /* not (yet) GeoJSON: the server says what is wrong */
    }
    return null;
  }

  function attach(map, group, options) {
    var textarea = document.getElementById(options.textarea);
    if (!textarea) return;

    function write(layer) {
      textarea.value = layer ? JSON.stringify(layer.toGeoJSON(DIGITS).geometry) : "";
      textarea.dispatchEvent(new Event("input", { bubbles: true }));
      textarea.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function only(layer) {
      group.eachLayer(function (other) {
        if (other !== layer) group.removeLayer(other);
      });
    }

    function first() {
      var found = null;
      group.eachLayer(function (layer) {
        if (!found) found = layer;
      });
      return found;
    }

    function show(geometry, fit) {
      group.clearLayers();
      if (!geometry) return;
      try {
        L.geoJSON(geometry).eachLayer(function (layer) {
          group.addLayer(layer);
        });
      } catch (e) {
        return; // coordinates Leaflet cannot draw: the server explains
      }
      var bounds = group.getBounds();
      if (fit && bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
    }

    show(parse(textarea.value), true);

    // One polygon at a time: a new one replaces the old.
    map.on(L.Draw.Event.CREATED, function (event) {
      group.addLayer(event.layer);
      only(event.layer);
      write(event.layer);
    });
    map.on(L.Draw.Event.EDITED, function () {
      write(first());
    });
    map.on(L.Draw.Event.DELETED, function () {
      write(first());
    });

    textarea.addEventListener("change", function (event) {
      if (!event.isTrusted) return; // our own write()
      var geometry = parse(textarea.value);
      if (geometry) show(geometry, true);
    });

    map.getContainer().setAttribute("data-ready", "1");
  }

  // Persons per home in hundredths as the server stores them: to the cent, rounded half up. Decimal
  // digits are read as text, so 2,345 becomes 235 (floating point would make it 234.49999…).
  function hundredths(text) {
    var m = /^(\d*)(?:[.,](\d*))?$/.exec(text);
    if (!m || (m[1] === "" && !m[2])) {
      var value = Number(text.replace(",", "."));
      return text !== "" && isFinite(value) ? Math.round(value * 100) : NaN;
    }
    var digits = (m[2] || "") + "000";
    return Number(m[1] || "0") * 100 + Number(digits.slice(0, 2)) + (Number(digits.charAt(2)) >= 5 ? 1 : 0);
  }

  // The hint below "expected residents": homes × persons per home, as the numbers are typed; the server's
  // rule (spaces.core.gaps.residents_when_full): whole people, rounded half up.
  function residentsHint() {
    var hint = document.getElementById("residents-computed");
    var homes = document.getElementById("homes");
    var persons = document.getElementById("persons_per_home");
    if (!hint || !homes || !persons) return;
    function update() {
      var h = Number(String(homes.value).trim());
      var p = hundredths(String(persons.value).trim());
      if (String(homes.value).trim() === "" || !Number.isInteger(h) || !isFinite(p) || h < 0 || p <= 0) {
        hint.textContent = hint.getAttribute("data-unknown");
        return;
      }
      var n = Math.floor((h * p + 50) / 100).toLocaleString(document.documentElement.lang === "en" ? "en" : "de-DE");
      hint.textContent = hint.getAttribute("data-text").replace("{n}", n);
    }
    homes.addEventListener("input", update);
    persons.addEventListener("input", update);
  }

  document.addEventListener("DOMContentLoaded", residentsHint);

  window.RaumfinderDrawPhase = { attach: attach };
})();
