"""geo.maps: one base under every map (centre, zoom, tile layer, local assets); pure, no Flask, no database."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from geo.maps import base_map, draw_map, finder_map, page_parts, pick_map

ROOT = Path(__file__).resolve().parents[2]
HANNOVER = (52.3745, 9.7386)
BASE = {"center": HANNOVER, "zoom": 12, "tile_url": "https://tiles.example.org/{z}/{x}/{y}.png",
        "attribution": "OpenStreetMap contributors", "static_url": "/static/"}


def _assets(parts: dict) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', parts["header"])


def _view(parts: dict) -> tuple[list[float], int]:
    """The centre and zoom the map script opens with."""
    found = re.search(r"center:\s*(\[[^\]]*\]).*?\"zoom\": (\d+)", parts["script"], re.S)
    return json.loads(found.group(1)), int(found.group(2))


@pytest.mark.parametrize("build", [
    lambda: base_map(**BASE),
    lambda: pick_map(None, None, **BASE),
    lambda: draw_map(**BASE),
    lambda: finder_map(layers={}, **BASE),
], ids=["base", "pick", "draw", "finder"])
def test_every_map_has_the_tiles_and_only_local_assets(build):
    parts = page_parts(build())
    assert "tiles.example.org" in parts["script"] and "OpenStreetMap contributors" in parts["script"]
    assert '"maxZoom": 19' in parts["script"]
    assets = _assets(parts)
    assert assets and all(a.startswith("/static/vendor/") for a in assets), assets
    assert 'name="viewport"' not in parts["header"]  # our pages set a zoomable one


def test_without_a_tile_url_there_is_no_tile_layer():
    parts = page_parts(base_map(**{**BASE, "tile_url": ""}))
    assert "L.tileLayer" not in parts["script"]
    assert _view(parts) == (list(HANNOVER), 12)


def test_the_pick_map_centres_on_the_chosen_point_and_names_its_inputs():
    chosen = page_parts(pick_map(52.33, 9.81, title="Chosen place", inputs=("y", "x"), **BASE))
    assert _view(chosen) == ([52.33, 9.81], 16)
    assert 'RaumfinderPick.attach(map_' in chosen["script"]
    assert '{"lat": "y", "lon": "x", "title": "Chosen place"}' in chosen["script"]
    assert _view(page_parts(pick_map(None, 9.81, **BASE))) == (list(HANNOVER), 12)  # half a point: the city


def test_the_draw_map_draws_polygons_only_into_its_textarea():
    parts = page_parts(draw_map(textarea="area", layer_name="Phase", **BASE))
    assert "/static/vendor/leaflet-draw/leaflet.draw.js" in _assets(parts)
    assert re.search(r"RaumfinderDrawPhase\.attach\(map_\w+, feature_group_\w+,\s*\{\"textarea\": \"area\"\}\)",
                     parts["script"])
    assert '"polyline": false' in parts["script"] and '"allowIntersection": false' in parts["script"]


def test_the_finder_map_keeps_its_locate_button_and_api_layers():
    parts = page_parts(finder_map(layers={"phases": "/api/phases"}, locate_strings={"title": "Where am I?"}, **BASE))
    assert "L.control.locate" in parts["script"] and "Where am I?" in parts["script"]
    assert 'Raumfinder.attach(map_' in parts["script"] and '"/api/phases"' in parts["script"]
    with pytest.raises(ValueError):
        finder_map(layers={}, attach="alert(1);x", **BASE)


def test_geo_maps_knows_no_flask_and_no_database():
    code = "import geo.maps, sys; print([m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy')])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
