"""Checks for geometries from outside: valid, in WGS84, inside the service area."""

import math

from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from .crs import SERVICE_AREA, in_service_area


class InvalidGeometry(ValueError):
    """A geometry that cannot be stored, with a reason a person understands (German)."""


def _coords(geom: BaseGeometry):
    if isinstance(geom, Point):
        yield from geom.coords
    elif isinstance(geom, Polygon):
        yield from geom.exterior.coords
        for ring in geom.interiors:
            yield from ring.coords
    elif isinstance(geom, MultiPolygon):
        for part in geom.geoms:
            yield from _coords(part)


def check_coordinates(geom: BaseGeometry) -> None:
    """Refuse NaN/infinite numbers and coordinates outside the service area (e.g. lat/lon swapped)."""
    for lon, lat, *_ in _coords(geom):
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise InvalidGeometry("Die Geometrie enthält ungültige Zahlen (NaN oder unendlich).")
        if not in_service_area(lon, lat):
            hint = " Sind Breite und Länge vertauscht?" if in_service_area(lat, lon) else ""
            raise InvalidGeometry(
                f"Der Punkt ({lon:.5f}, {lat:.5f}) liegt außerhalb des Gebiets "
                f"{SERVICE_AREA} (Länge, Breite in WGS84).{hint}"
            )


def area_from_geojson(geometry: dict) -> MultiPolygon:
    """A valid MultiPolygon in WGS84 from a GeoJSON Polygon or MultiPolygon, or InvalidGeometry."""
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise InvalidGeometry("Erwartet wird ein GeoJSON-Polygon oder -MultiPolygon.")
    for ring in _rings(geometry):
        if len(ring) < 4 or list(ring[0]) != list(ring[-1]):
            raise InvalidGeometry("Ein Ring des Polygons ist nicht geschlossen (erster und letzter Punkt verschieden).")
    try:
        geom = shape(geometry)
    except (ValueError, TypeError, IndexError) as err:
        raise InvalidGeometry(f"Die Geometrie ist nicht lesbar: {err}") from err
    check_coordinates(geom)
    if geom.is_empty:
        raise InvalidGeometry("Die Geometrie ist leer.")
    if not geom.is_valid:
        raise InvalidGeometry(f"Die Geometrie ist ungültig: {explain_validity(geom)}.")
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


def _rings(geometry: dict):
    coords = geometry.get("coordinates") or []
    polygons = [coords] if geometry["type"] == "Polygon" else coords
    for polygon in polygons:
        yield from polygon


def point_from_lonlat(lon: float, lat: float) -> Point:
    """A WGS84 point, or InvalidGeometry when it is not a finite coordinate in the service area."""
    point = Point(float(lon), float(lat))
    check_coordinates(point)
    return point
