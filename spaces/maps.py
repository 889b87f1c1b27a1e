"""The service's map settings (centre, zoom, tiles, where the assets are) for the builders in geo.maps."""

from __future__ import annotations

from flask import current_app, url_for


def map_settings(**overrides) -> dict:
    """Keyword arguments for geo.maps.base_map and the maps built on it, from the configuration."""
    cfg = current_app.config
    return {"center": cfg["MAP_CENTER"], "zoom": cfg["MAP_ZOOM"], "tile_url": cfg["TILE_URL"],
            "attribution": cfg["TILE_ATTRIBUTION"], "static_url": _static_url, **overrides}


def _static_url(path: str) -> str:
    """A file under static/ by its versioned URL (spaces.delivery adds the content hash)."""
    return url_for("static", filename=path)
