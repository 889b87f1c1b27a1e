"""Folium maps whose data arrives as GeoJSON from the API, so a page never grows with the data."""

import re

import folium
from branca.element import MacroElement
from folium.plugins import LocateControl
from jinja2 import Template

from .assets import localize_assets


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
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", attach):
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
    m = folium.Map(location=center, zoom_start=zoom, tiles=None, control_scale=True)
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=attribution, name="Karte", max_zoom=19).add_to(m)
    LocateControl(
        position="topleft",
        strings={**LOCATE_STRINGS, **(locate_strings or {})},
        flyTo=True,
        keepCurrentZoomLevel=False,
    ).add_to(m)
    ApiLayers(layers, attach).add_to(m)
    return localize_assets(m, static_url)


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
