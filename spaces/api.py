"""JSON and GeoJSON for maps and other clients."""

import json

from flask import Blueprint, jsonify, url_for

from .clock import today_local
from .db import db
from .labels import BOOKING_MODES, KINDS, PHASE_STATUS, label, period
from .queries import not_expired, phases_as_geojson, spaces_with_place

bp = Blueprint("api", __name__, url_prefix="/api")


def space_feature(row, today) -> dict:
    """A space row (from spaces_with_place) as a GeoJSON Feature."""
    space = row.Space
    return {
        "type": "Feature",
        "id": space.id,
        "geometry": {"type": "Point", "coordinates": [round(row.lon, 6), round(row.lat, 6)]},
        "properties": {
            "id": space.id,
            "name": space.name,
            "kind": space.kind,
            "kind_label": label(KINDS, space.kind),
            "capacity": space.capacity,
            "step_free": space.step_free,
            "accessible_wc": space.accessible_wc,
            "equipment": list(space.equipment or []),
            "booking_mode": space.booking_mode,
            "booking_mode_label": label(BOOKING_MODES, space.booking_mode),
            "available_from": space.available_from.isoformat() if space.available_from else None,
            "available_until": space.available_until.isoformat() if space.available_until else None,
            "period_label": period(space.available_from, space.available_until, today),
            "organisation": row.organisation,
            "address": row.address,
            "url": url_for("finder.space", space_id=space.id),
        },
    }


@bp.get("/spaces")
def spaces():
    """All spaces that are open or planned, as a GeoJSON FeatureCollection."""
    today = today_local()
    rows = db.session.execute(spaces_with_place().where(not_expired(today))).all()
    return jsonify(type="FeatureCollection", features=[space_feature(r, today) for r in rows])


@bp.get("/phases")
def phases():
    """Construction phases as a GeoJSON FeatureCollection."""
    features = []
    for row in db.session.execute(phases_as_geojson()).all():
        phase = row.ConstructionPhase
        features.append(
            {
                "type": "Feature",
                "id": phase.id,
                "geometry": json.loads(row.geojson),
                "properties": {
                    "id": phase.id,
                    "name": phase.name,
                    "quartier": phase.quartier,
                    "status": phase.status,
                    "status_label": label(PHASE_STATUS, phase.status),
                    "move_in": phase.move_in.isoformat() if phase.move_in else None,
                    "homes": phase.homes,
                },
            }
        )
    return jsonify(type="FeatureCollection", features=features)
