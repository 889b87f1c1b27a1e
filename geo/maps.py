"""Folium maps for our pages: one base (centre, zoom, tile layer, local assets) under the residents' map, whose
data arrives as GeoJSON from the API, the map to pick a space's place and the map to draw a construction phase.

Nothing here knows Flask: URLs, settings and texts come in as arguments (German by default).
"""

import re

import folium
from branca.element import MacroElement
from folium.plugins import Draw, LocateControl
from jinja2 import Template

from .assets import localize_assets

__all__ = ["ApiLayers", "DrawPhase", "PickLocation", "base_map", "draw_map", "finder_map", "page_parts", "pick_map"]

_JS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


# What folium.Map loads by default besides Leaflet (jQuery, Bootstrap, Font Awesome, awesome-markers: about
# 500 KB) serves its own markers and popups, which these maps do not use: only Leaflet is kept.
MAP_ASSETS = {"leaflet", "leaflet_css"}


def base_map(*, center, zoom, tile_url, attribution, static_url, tile_name: str = "Karte") -> folium.Map:
    """A map with a scale and an OSM-style tile layer (none without `tile_url`) whose assets come from `static_url`
    (the URL of static/, or a function from a path under static/ to its URL)."""
    m = folium.Map(location=center, zoom_start=zoom, tiles=None, control_scale=True)
    m.default_js = [(name, url) for name, url in m.default_js if name in MAP_ASSETS]
    m.default_css = [(name, url) for name, url in m.default_css if name in MAP_ASSETS]
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=attribution, name=tile_name, max_zoom=19).add_to(m)
    # Once is enough: what is added later is localized as the map renders.
    return localize_assets(m, static_url)


# ----------------------------------------------------------------------------- the residents' map


class ApiLayers(MacroElement):
    """Hands the Leaflet map to a page script (static/js/map.js by default) that loads its data from the API."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.attach }}({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, options: dict, attach: str = "Raumfinder.attach"):
        super().__init__()
        if not _JS_NAME.fullmatch(attach):
            raise ValueError(f"not a JavaScript function name: {attach!r}")
        self._name = "ApiLayers"
        self.options = options
        self.attach = attach


LOCATE_STRINGS = {"title": "Wo bin ich?", "popup": "Sie sind im Umkreis von {distance} m um diesen Punkt"}


def finder_map(*, center, zoom, tile_url, attribution, layers: dict, static_url: str,
               locate_strings: dict | None = None, attach: str = "Raumfinder.attach") -> folium.Map:
    """A map of the city with an OSM-style tile layer (or none) and the API-fed layers; assets from `static_url`.

    `locate_strings` are the "where am I" button's title and popup ({distance} in metres), German by default.
    """
    m = base_map(center=center, zoom=zoom, tile_url=tile_url, attribution=attribution, static_url=static_url)
    LocateControl(
        position="topleft",
        strings={**LOCATE_STRINGS, **(locate_strings or {})},
        flyTo=True,
        keepCurrentZoomLevel=False,
        # Close enough to see the rooms around, not the maximum zoom (where no room is in view); once found,
        # static/js/map.js offers to search there.
        locateOptions={"maxZoom": 15, "watch": False},
        icon="rf-locate-icon",
        iconLoading="rf-locate-icon rf-locating",
    ).add_to(m)
    ApiLayers(layers, attach).add_to(m)
    return m


# ----------------------------------------------------------------------------- picking a space's place


class PickLocation(MacroElement):
    """Hands the Leaflet map to static/js/pick-location.js, which writes a clicked point into the form."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        RaumfinderPick.attach({{ this._parent.get_name() }}, {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, options: dict):
        super().__init__()
        self._name = "PickLocation"
        self.options = options


PICK_ZOOM = 16  # a chosen point: close enough to see the entrance


def pick_map(lat: float | None, lon: float | None, *, center, zoom, title: str = "Gewählter Ort",
             inputs: tuple[str, str] = ("lat", "lon"), **base) -> folium.Map:
    """A small map around the chosen point (else `center` at `zoom`) whose clicks fill the inputs `inputs`
    (ids of latitude and longitude); `title` is the marker's tooltip, `base` goes to :func:`base_map`."""
    chosen = lat is not None and lon is not None
    m = base_map(center=(lat, lon) if chosen else center, zoom=PICK_ZOOM if chosen else zoom, **base)
    PickLocation({"lat": inputs[0], "lon": inputs[1], "title": title}).add_to(m)
    return m


# ----------------------------------------------------------------------------- drawing a construction phase


class DrawPhase(MacroElement):
    """Hands the map and the Draw plugin's layer group to static/js/draw-phase.js."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        RaumfinderDrawPhase.attach({{ this._parent.get_name() }}, {{ this.group.get_name() }},
                                   {{ this.options|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, group, options: dict):
        super().__init__()
        self._name = "DrawPhase"
        self.group = group
        self.options = options


def draw_map(*, textarea: str = "geometry", layer_name: str = "Bauabschnitt", color: str = "#0b5394",
             **base) -> folium.Map:
    """A map with a polygon-only drawing tool whose result goes into the textarea with id `textarea`;
    `base` goes to :func:`base_map`."""
    m = base_map(**base)
    group = folium.FeatureGroup(name=layer_name, control=False).add_to(m)
    Draw(
        feature_group=group,
        show_geometry_on_click=False,
        position="topleft",
        draw_options={"polyline": False, "rectangle": False, "circle": False, "marker": False,
                      "circlemarker": False,
                      "polygon": {"allowIntersection": False, "showArea": False,
                                  "shapeOptions": {"color": color, "weight": 3}}},
        edit_options={"edit": True, "remove": True},
    ).add_to(m)
    DrawPhase(group, {"textarea": textarea}).add_to(m)
    return m


# ----------------------------------------------------------------------------- into a page

# Folium's own viewport tag says user-scalable=no: zooming the page is a barrier-free must, and
# our pages bring their own viewport tag.
_VIEWPORT_META = re.compile(r"<meta\s+name=\"viewport\"[^>]*>", re.S)


def page_parts(m: folium.Map) -> dict:
    """The map as header, body and script HTML, to embed in a page of our own (which sets the viewport)."""
    root = m.get_root()
    root.render()
    return {
        "header": _VIEWPORT_META.sub("", root.header.render()),
        "html": root.html.render(),
        "script": root.script.render(),
    }
