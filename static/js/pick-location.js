/* Picking a space's place on a small map: a click writes latitude and longitude into the form's
 * inputs and moves the marker there. The inputs stay visible and editable, so the form works
 * without this script; typing coordinates moves the marker too. */
(function () {
  "use strict";

  var DIGITS = 6; // about 10 cm: more than enough for a door

  function number(input) {
    var text = String(input.value || "").trim().replace(",", ".");
    if (!text) return null;
    var value = Number(text);
    return isFinite(value) ? value : null;
  }

  function attach(map, options) {
    var lat = document.getElementById(options.lat);
    var lon = document.getElementById(options.lon);
    if (!lat || !lon) return;
    var marker = null;

    function place(latlng) {
      if (marker) {
        marker.setLatLng(latlng);
      } else {
        marker = L.circleMarker(latlng, {
          radius: 9, weight: 3, color: "#0b5394", fillColor: "#f9a825", fillOpacity: 0.9, interactive: false
        }).addTo(map);
        if (options.title) marker.bindTooltip(String(options.title));
      }
    }

    function fromInputs() {
      var y = number(lat), x = number(lon);
      if (y === null || x === null || y < -90 || y > 90 || x < -180 || x > 180) return null;
      return L.latLng(y, x);
    }

    var start = fromInputs();
    if (start) place(start);

    map.on("click", function (event) {
      var p = event.latlng.wrap();
      lat.value = p.lat.toFixed(DIGITS);
      lon.value = p.lng.toFixed(DIGITS);
      place(p);
      [lat, lon].forEach(function (input) {
        input.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });

    [lat, lon].forEach(function (input) {
      input.addEventListener("change", function () {
        var p = fromInputs();
        if (p) {
          place(p);
          map.panTo(p);
        }
      });
    });

    map.getContainer().setAttribute("data-ready", "1");
  }

  window.RaumfinderPick = { attach: attach };
})();
