"""Walking isochrones from the API: for a point and for a construction phase."""

from flask import Blueprint, jsonify, request

from spaces.db import db
from spaces.walking import service
from spaces.walking.schemas import IsochroneQuery, PhaseIsochroneQuery

bp = Blueprint("walking", __name__)


@bp.get("/api/isochrone")
def point_isochrone():
    """The area reachable on foot within `minutes` from lat/lon, as a GeoJSON Feature."""
    query = IsochroneQuery.from_args(request.args)
    return jsonify(service.point_isochrone(db.session, query.lon, query.lat, query.minutes))


@bp.get("/api/phases/<int:phase_id>/isochrone")
def phase_isochrone(phase_id: int):
    """The area reachable on foot within `minutes` from a construction phase, as a GeoJSON Feature."""
    query = PhaseIsochroneQuery.from_args(request.args)
    return jsonify(service.phase_isochrone(db.session, phase_id, query.minutes))
