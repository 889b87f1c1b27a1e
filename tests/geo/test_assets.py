"""geo.assets: folium pages reference only files we serve from static/."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import folium
import pytest
from folium import plugins

from geo.assets import VENDOR_ASSETS, localize_assets, missing_vendor_files

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
BASE = "/static/"

GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"name": "Raum 101"},
            "geometry": {"type": "Point", "coordinates": [9.7176, 52.3822]},
        }
    ],
}


class _AssetRefs(HTMLParser):
    """Collects <script src> and <link href> values."""

    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.refs.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.refs.append(attrs["href"])


def asset_refs(html):
    parser = _AssetRefs()
    parser.feed(html)
    return parser.refs


def build_map():
    m = folium.Map(location=[52.3759, 9.7320], zoom_start=13)
    cluster = plugins.MarkerCluster(name="Räume").add_to(m)
    folium.Marker([52.38, 9.72], icon=folium.Icon(icon="info-sign")).add_to(cluster)
    folium.Marker(
        [52.37, 9.73], icon=folium.Icon(prefix="fa", icon="door-open", angle=45)
    ).add_to(cluster)
    plugins.LocateControl().add_to(m)
    plugins.Draw().add_to(m)
    plugins.Fullscreen().add_to(m)
    folium.GeoJson(
        GEOJSON, name="rooms", tooltip=folium.GeoJsonTooltip(fields=["name"])
    ).add_to(m)
    folium.LayerControl().add_to(m)
    return m


def static_file(url):
    assert url.startswith(BASE), url
    return STATIC_DIR / url[len(BASE):]


def check_page(html):
    refs = asset_refs(html)
    assert refs, "expected <script src>/<link href> tags in the page"
    remote = [r for r in refs if re.match(r"^\s*(?:[a-z][a-z0-9+.\-]*:)?//", r, re.I)]
    assert remote == []
    for ref in refs:
        assert static_file(ref).is_file(), ref
    return refs


def test_unlocalized_map_uses_cdns():
    # guards the test itself: folium really does link CDNs by default
    html = build_map().get_root().render()
    assert any(r.startswith("https://") for r in asset_refs(html))


def test_localized_map_references_only_local_files():
    m = localize_assets(build_map(), BASE)
    refs = check_page(m.get_root().render())
    # each plugin's own files are among them
    for path in (
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet.markercluster/leaflet.markercluster.js",
        "vendor/leaflet.locatecontrol/L.Control.Locate.min.js",
        "vendor/leaflet-draw/leaflet.draw.js",
        "vendor/leaflet.fullscreen/Control.FullScreen.js",
        "vendor/bootstrap3-glyphicons/css/bootstrap3-glyphicons.min.css",
    ):
        assert BASE + path in refs


def test_children_added_after_localize_are_localized():
    m = folium.Map(location=[52.3759, 9.7320])
    localize_assets(m, "/static")  # trailing slash is added
    plugins.MarkerCluster().add_to(m)
    plugins.Fullscreen().add_to(m)
    check_page(m.get_root().render())


def test_localize_does_not_touch_class_defaults():
    localize_assets(build_map(), BASE)
    assert folium.Map.default_js[0][1].startswith("https://")
    assert plugins.Draw.default_css[0][1].startswith("https://")


def test_tiles_are_left_alone():
    html = localize_assets(build_map(), BASE).get_root().render()
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html


def test_every_vendored_asset_exists():
    assert missing_vendor_files(STATIC_DIR) == []
    for asset in VENDOR_ASSETS.values():
        assert asset.path.startswith("vendor/")


def test_awesome_markers_js_supports_extra_classes():
    # folium.Icon(angle=...) passes extraClasses="fa-rotate-N"; the npm
    # package's .min.js is a stale build that ignores it.
    js = (STATIC_DIR / VENDOR_ASSETS["awesome_markers"].path).read_text(encoding="utf-8")
    assert "options.extraClasses +" in js


def _css_urls(css):
    for ref in re.findall(r"url\(\s*([^)]*?)\s*\)", css):
        ref = ref.strip("'\"")
        if not ref or ref.startswith(("data:", "#")):
            continue
        yield ref


def test_css_url_references_resolve():
    css_files = sorted((STATIC_DIR / "vendor").rglob("*.css"))
    assert css_files
    checked = 0
    for css in css_files:
        for ref in _css_urls(css.read_text(encoding="utf-8")):
            parts = urlsplit(ref)
            assert not parts.scheme and not parts.netloc, f"{css}: remote {ref}"
            target = (css.parent / parts.path).resolve()
            assert target.is_file(), f"{css}: {ref} -> {target}"
            assert STATIC_DIR in target.parents
            checked += 1
    assert checked > 0


def test_unknown_cdn_asset_raises():
    m = folium.Map()
    m.add_child(plugins.BoatMarker([52.37, 9.73]))  # unvendored plugin
    with pytest.raises(ValueError, match="markerclusterjs"):
        localize_assets(m, BASE)


def test_unknown_asset_added_after_localize_raises_at_render():
    m = localize_assets(folium.Map(), BASE)
    plugins.MiniMap().add_to(m)
    with pytest.raises(ValueError, match="Control_MiniMap"):
        m.get_root().render()


def test_changed_upstream_url_raises():
    # a known name with another URL (e.g. a folium upgrade bumping Leaflet)
    m = folium.Map()
    m.default_js = [
        ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@9.9.9/dist/leaflet.js")
    ]
    with pytest.raises(ValueError, match="leaflet@9.9.9"):
        localize_assets(m, BASE)


def test_render_twice_and_copy():
    import copy

    m = localize_assets(build_map(), BASE)
    check_page(m.get_root().render())
    check_page(m.get_root().render())  # folium re-adds links on each render
    check_page(copy.deepcopy(m).get_root().render())
