"""Serve folium's JavaScript/CSS from our own ``static/`` instead of CDNs.

folium 0.20 links Leaflet, jQuery, Bootstrap, Font Awesome, the awesome-markers
plugin, glyphicons and each plugin's own files from public CDNs.  Copies of all
of them live under ``static/vendor/`` (written by ``scripts/vendor-static.sh``,
see ``static/vendor/VERSIONS.txt``), and :func:`localize_assets` makes a map use
those copies::

    m = folium.Map(...)
    MarkerCluster().add_to(m)
    ...
    localize_assets(m, url_for("static", filename=""))   # e.g. "/static/"
    html = m.get_root().render()

How folium emits the links: every ``JSCSSMixin`` element (``Map`` and the
plugins) has ``default_js`` / ``default_css`` lists of ``(name, url)``; during
``render()`` it adds a ``JavascriptLink``/``CssLink`` per entry to the root
``Figure.header``.  Those lists are class attributes shared by all instances, so
this module never mutates them; it

1. walks the figure tree and gives each element instance its own rewritten
   ``default_js``/``default_css`` (and rewrites links already in a header), so
   unknown assets are reported right away, and
2. hooks the figure's header so every link added to it later -- by children
   added after this call, by ``add_js_link``, or by elements that insert links
   in ``render()`` themselves (e.g. branca colormaps) -- is rewritten too.

So calling it once at any time before rendering is enough; calling it again is
harmless.  Any remote (``http://``, ``https://``, ``//``) script/stylesheet that
has no entry in :data:`VENDOR_ASSETS` raises ``ValueError`` naming the asset --
at call time or, for late additions, at render time -- so a folium upgrade that
changes a CDN URL fails loudly instead of silently loading from the CDN.
Relative/same-origin URLs are left alone.  Tile URLs are data, not assets, and
are not touched.

Limitation: ``render(embedded=True)`` (inlining the files via ``urlopen``) is
not supported with local paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from branca.element import Element, Figure, Link

__all__ = ["VENDOR_ASSETS", "VendorAsset", "localize_assets", "missing_vendor_files"]


@dataclass(frozen=True)
class VendorAsset:
    """A vendored file: ``path`` is relative to ``static/``; ``upstream`` is the
    exact URL folium 0.20 links to (so a changed URL is noticed)."""

    path: str
    upstream: str


_JSDELIVR = "https://cdn.jsdelivr.net/npm"
_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"

#: folium resource name -> local copy.  Keys are the names folium uses in its
#: ``default_js``/``default_css`` lists.  Keep in step with
#: scripts/vendor-static.sh.
VENDOR_ASSETS: dict[str, VendorAsset] = {
    # folium.Map
    "leaflet": VendorAsset(
        "vendor/leaflet/leaflet.js", f"{_JSDELIVR}/leaflet@1.9.3/dist/leaflet.js"
    ),
    "leaflet_css": VendorAsset(
        "vendor/leaflet/leaflet.css", f"{_JSDELIVR}/leaflet@1.9.3/dist/leaflet.css"
    ),
    "jquery": VendorAsset(
        "vendor/jquery/jquery.min.js", "https://code.jquery.com/jquery-3.7.1.min.js"
    ),
    "bootstrap": VendorAsset(
        "vendor/bootstrap/js/bootstrap.bundle.min.js",
        f"{_JSDELIVR}/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    ),
    "bootstrap_css": VendorAsset(
        "vendor/bootstrap/css/bootstrap.min.css",
        f"{_JSDELIVR}/bootstrap@5.2.2/dist/css/bootstrap.min.css",
    ),
    "glyphicons_css": VendorAsset(
        "vendor/bootstrap3-glyphicons/css/bootstrap3-glyphicons.min.css",
        "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    ),
    "awesome_markers": VendorAsset(
        "vendor/leaflet.awesome-markers/leaflet.awesome-markers.js",
        f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js",
    ),
    "awesome_markers_css": VendorAsset(
        "vendor/leaflet.awesome-markers/leaflet.awesome-markers.css",
        f"{_CDNJS}/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css",
    ),
    "awesome_markers_font_css": VendorAsset(
        "vendor/fontawesome-free/css/all.min.css",
        f"{_JSDELIVR}/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
    ),
    "awesome_rotate_css": VendorAsset(
        "vendor/folium/leaflet.awesome.rotate.min.css",
        "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/"
        "leaflet.awesome.rotate.min.css",
    ),
    # folium.plugins.MarkerCluster
    "markerclusterjs": VendorAsset(
        "vendor/leaflet.markercluster/leaflet.markercluster.js",
        f"{_CDNJS}/leaflet.markercluster/1.1.0/leaflet.markercluster.js",
    ),
    "markerclustercss": VendorAsset(
        "vendor/leaflet.markercluster/MarkerCluster.css",
        f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.css",
    ),
    "markerclusterdefaultcss": VendorAsset(
        "vendor/leaflet.markercluster/MarkerCluster.Default.css",
        f"{_CDNJS}/leaflet.markercluster/1.1.0/MarkerCluster.Default.css",
    ),
    # folium.plugins.LocateControl
    "Control_locate_min_js": VendorAsset(
        "vendor/leaflet.locatecontrol/L.Control.Locate.min.js",
        f"{_CDNJS}/leaflet-locatecontrol/0.66.2/L.Control.Locate.min.js",
    ),
    "Control_locate_min_css": VendorAsset(
        "vendor/leaflet.locatecontrol/L.Control.Locate.min.css",
        f"{_CDNJS}/leaflet-locatecontrol/0.66.2/L.Control.Locate.min.css",
    ),
    # folium.plugins.Draw
    "leaflet_draw_js": VendorAsset(
        "vendor/leaflet-draw/leaflet.draw.js",
        f"{_CDNJS}/leaflet.draw/1.0.2/leaflet.draw.js",
    ),
    "leaflet_draw_css": VendorAsset(
        "vendor/leaflet-draw/leaflet.draw.css",
        f"{_CDNJS}/leaflet.draw/1.0.2/leaflet.draw.css",
    ),
    # folium.plugins.Fullscreen (npm ships no .min.js for 3.0.0)
    "Control.Fullscreen.js": VendorAsset(
        "vendor/leaflet.fullscreen/Control.FullScreen.js",
        f"{_JSDELIVR}/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js",
    ),
    "Control.FullScreen.css": VendorAsset(
        "vendor/leaflet.fullscreen/Control.FullScreen.css",
        f"{_JSDELIVR}/leaflet.fullscreen@3.0.0/Control.FullScreen.css",
    ),
}

_BY_UPSTREAM: dict[str, VendorAsset] = {a.upstream: a for a in VENDOR_ASSETS.values()}

# scheme-relative ("//host/...") or any "scheme://..." URL is remote
_REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.\-]*:)?//", re.IGNORECASE)

_DEFAULT_STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def _normalize_base(base_url):
    if callable(base_url):  # a function from a path under static/ to its URL (e.g. with a content hash)
        return base_url
    if not isinstance(base_url, str) or not base_url:
        raise ValueError("base_url must be a non-empty string such as '/static/'")
    return base_url if base_url.endswith("/") else base_url + "/"


def _local_url(name: str, url: str, base_url: str) -> str:
    """Return the local URL for asset ``name`` at ``url`` (unchanged if it is
    not remote); raise ValueError if it is remote and not vendored."""
    if not _REMOTE.match(url):
        return url
    asset = VENDOR_ASSETS.get(name)
    if asset is None or asset.upstream != url:
        # unnamed links (e.g. added with an auto-generated name) match by URL;
        # a known name with a different URL (version bump, another plugin
        # reusing the name) does not match and is reported.
        asset = _BY_UPSTREAM.get(url)
    if asset is None:
        raise ValueError(
            f"No local copy of front-end asset {name!r} ({url}). Vendor it with "
            "scripts/vendor-static.sh and add it to geo.assets.VENDOR_ASSETS."
        )
    return base_url(asset.path) if callable(base_url) else base_url + asset.path


def _localized_list(
    items: list[tuple[str, str]], base_url: str
) -> list[tuple[str, str]]:
    return [(name, _local_url(name, url, base_url)) for name, url in items]


class _LocalizingHeaderMixin:
    """Rewrites ``JavascriptLink``/``CssLink`` children as they are added.

    ``JSCSSMixin.render`` adds its links to the figure header while the figure
    renders, so this catches links of elements added after localize_assets().
    """

    _vendor_base_url: str

    def add_child(self, child, name=None, index=None):
        if isinstance(child, Link):
            link_name = name if name is not None else child.get_name()
            child.url = _local_url(link_name, child.url, self._vendor_base_url)
        return super().add_child(child, name=name, index=index)


class _LocalizingHeader(_LocalizingHeaderMixin, Element):
    pass


_HEADER_CLASSES: dict[type, type] = {Element: _LocalizingHeader}


def _hook_header(header: Element, base_url: str) -> None:
    cls = type(header)
    if not issubclass(cls, _LocalizingHeaderMixin):
        new_cls = _HEADER_CLASSES.get(cls)
        if new_cls is None:
            new_cls = type(f"_Localizing{cls.__name__}", (_LocalizingHeaderMixin, cls), {})
            _HEADER_CLASSES[cls] = new_cls
        header.__class__ = new_cls
    header._vendor_base_url = base_url


def _walk(root: Element) -> Iterator[tuple[str, Element]]:
    """Yield (name, element) for root and everything below it: ``_children``
    and the header/html/script sub-elements of Figures, Popups etc."""
    stack: list[tuple[str, Element]] = [(root.get_name(), root)]
    seen = set()
    while stack:
        name, el = stack.pop()
        if id(el) in seen:
            continue
        seen.add(id(el))
        yield name, el
        for attr in ("header", "html", "script"):
            sub = vars(el).get(attr)
            if isinstance(sub, Element):
                stack.append((attr, sub))
        stack.extend(getattr(el, "_children", {}).items())


def localize_assets(element: Element, base_url) -> Element:
    """Point every JS/CSS reference of ``element``'s figure at our vendored copies.

    ``element`` is normally a ``folium.Map`` (its whole ``Figure`` is processed,
    including plugins and all nested children); ``base_url`` is the URL prefix
    of ``static/``, e.g. ``"/static/"`` -- links become
    ``base_url + "vendor/..."``; ``base_url`` may also be a function from a path under ``static/`` to its
    URL (one that adds a content hash, say).  Returns ``element`` for chaining.

    May be called at any time before rendering: children added afterwards are
    localized when the figure renders (their links pass through the hooked
    header).  Raises ``ValueError`` naming the first remote asset that has no
    local copy.
    """
    base_url = _normalize_base(base_url)
    root = element.get_root()
    for name, el in _walk(root):
        for attr in ("default_js", "default_css"):
            items = getattr(el, attr, None)
            if items:
                # instance attribute: never mutate the class-level lists
                setattr(el, attr, _localized_list(list(items), base_url))
        if isinstance(el, Link):
            el.url = _local_url(name, el.url, base_url)
        if isinstance(el, Figure):
            _hook_header(el.header, base_url)
    return element


def missing_vendor_files(static_dir: Path | None = None) -> list[str]:
    """Paths of VENDOR_ASSETS (relative to static/) that are not files under
    ``static_dir`` (default: this repository's ``static/``).  Empty when all
    vendored files are present; handy as a startup check."""
    base = Path(static_dir) if static_dir is not None else _DEFAULT_STATIC_DIR
    return sorted(
        {a.path for a in VENDOR_ASSETS.values() if not (base / a.path).is_file()}
    )
