"""The walking API's answers: isochrones as GeoJSON Features, on the street network or by the straight-line rule."""

from __future__ import annotations

import json

from flask import current_app
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.walking import walk_radius_m
from spaces.core.errors import BadParameter, NotFound
from spaces.core.phrases import phrase
from spaces.phrasing import said
from spaces.walking import network

NO_NETWORK = phrase("Kein Straßennetz geladen: geschätzt als Luftlinie × 1,3.")
OFF_NETWORK = phrase("Der Ort liegt mehr als %(m)s m vom Straßennetz entfernt: geschätzt als Luftlinie × 1,3.",
                     m=round(network.MAX_ACCESS_M))


def in_city(lon: float, lat: float) -> None:
    """BadParameter unless the point lies within the configured city bounds (CITY_BOUNDS)."""
    west, south, east, north = current_app.config["CITY_BOUNDS"]
    if not (west <= lon <= east and south <= lat <= north):
        raise BadParameter(phrase("Der Ort lat=%(lat)s, lon=%(lon)s liegt außerhalb des Stadtgebiets "
                                  "(%(south)s–%(north)s N, %(west)s–%(east)s O).", lat=lat, lon=lon, south=south,
                                  north=north, west=west, east=east), field="lat")


def point_isochrone(session: Session, lon: float, lat: float, minutes: float) -> dict:
    """The walking isochrone of a point as a GeoJSON Feature; the straight-line circle when the network cannot
    be used (properties.method says which)."""
    in_city(lon, lat)
    geometry = network.isochrone(session, lon, lat, minutes)
    if geometry is not None:
        return _feature(geometry, minutes)
    radius = walk_radius_m(minutes)
    return _feature(network.straight_line_circle(session, lon, lat, radius), minutes, radius, _why(session))


_PHASE_WIDENED = text("SELECT ST_AsGeoJSON(ST_Buffer(geom::geography, :r, 'quad_segs=8')::geometry, 6) "
                      "FROM construction_phases WHERE id = :phase_id")


def phase_isochrone(session: Session, phase_id: int, minutes: float) -> dict:
    """The walking isochrone of a construction phase as a GeoJSON Feature; the phase widened by the straight-line
    radius when the network cannot be used. NotFound for an unknown phase."""
    geometry = network.phase_isochrone(session, phase_id, minutes)
    if geometry is not None:
        return _feature(geometry, minutes)
    radius = walk_radius_m(minutes)
    widened = session.execute(_PHASE_WIDENED, {"r": radius, "phase_id": phase_id}).scalar()
    if widened is None:
        raise NotFound(phrase("Einen Bauabschnitt mit der Nummer %(id)s gibt es nicht.", id=phase_id))
    return _feature(json.loads(widened), minutes, radius, _why(session))


def _why(session: Session) -> str:
    return said(OFF_NETWORK if network.available(session) else NO_NETWORK)


def _feature(geometry: dict, minutes: float, radius_m: float | None = None, note: str | None = None) -> dict:
    if radius_m is None:
        properties = {"minutes": minutes, "method": network.METHOD_NETWORK}
    else:
        properties = {"minutes": minutes, "method": network.METHOD_STRAIGHT, "radius_m": round(radius_m, 1),
                      "note": note}
    return {"type": "Feature", "geometry": geometry, "properties": properties}
