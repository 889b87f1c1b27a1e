"""Coordinate reference systems: storage in WGS84, metres in ETRS89 / UTM 32N."""

from functools import cache

import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

WGS84 = 4326  # storage: longitude/latitude
UTM32N = 25832  # ETRS89 / UTM zone 32N: the metric CRS of Lower Saxony
WEB_MERCATOR = 3857  # the map's projection (Leaflet, OSM tiles): a screen pixel is a fixed length in it
MERCATOR_RADIUS_M = 6378137  # EPSG:3857 is spherical Mercator on a sphere of this radius
_MERCATOR_M_PER_PX_AT_ZOOM_0 = 2 * MERCATOR_RADIUS_M * 3.141592653589793 / 256  # 156543.03… (one 256-pixel tile)

# Where the service is meant to work (Germany, generously); outside it a coordinate is a mistake.
SERVICE_AREA = (5.5, 47.0, 15.5, 55.2)  # lon_min, lat_min, lon_max, lat_max


def grid_cell_m(zoom: int, pixels: int) -> float:
    """The side, in Web-Mercator metres, of a square `pixels` wide on a map at `zoom` (Leaflet's zoom levels)."""
    return pixels * _MERCATOR_M_PER_PX_AT_ZOOM_0 / 2**zoom


@cache
def _transformer(src: int, dst: int) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def to_metric(geom: BaseGeometry) -> BaseGeometry:
    """The geometry in EPSG:25832 (metres), from EPSG:4326."""
    return shapely.transform(geom, _transformer(WGS84, UTM32N).transform, interleaved=False)


def to_wgs84(geom: BaseGeometry) -> BaseGeometry:
    """The geometry in EPSG:4326, from EPSG:25832."""
    return shapely.transform(geom, _transformer(UTM32N, WGS84).transform, interleaved=False)


def in_service_area(lon: float, lat: float) -> bool:
    """Whether a WGS84 coordinate lies in the service area."""
    lon_min, lat_min, lon_max, lat_max = SERVICE_AREA
    return lon_min <= lon <= lon_max and lat_min <= lat <= lat_max
