"""JSON and GeoJSON for the map and other clients; described in /api/openapi.json."""

import json
from datetime import date, timedelta

from flask import Blueprint, Response, jsonify, request, url_for

from spaces.clock import now_utc, today_local
from spaces.core.availability import Interval
from spaces.db import db
from spaces.finder import map_cache
from spaces.finder.queries import (
    Words,
    map_points,
    nearest_spaces,
    opening_hours_of,
    phases_as_geojson,
    search_geojson,
)
from spaces.finder.schemas import AvailabilityQuery, ClusterQuery, NearestQuery
from spaces.finder.service import current_search, quartier_lookup, space_row
from spaces.finder.week import space_calendar
from spaces.labels import BOOKING_MODES, KINDS, PHASE_STATUS, date_words, label, period
from spaces.times import local_iso

bp = Blueprint("api", __name__, url_prefix="/api")


class FeatureWriter:
    """Turns space rows into GeoJSON Features; per-request work (labels, URLs) is done once, not per row.

    Used for /api/spaces/nearest and one space; /api/spaces builds the same features in PostGIS
    (queries.search_geojson), and tests/finder/test_search_geojson.py holds both to each other. Their shape is
    schemas.SearchedSpaceFeature (NearestSpaceFeature, SpaceDetail), and the tests hold real answers to it.
    """

    def __init__(self, today: date):
        self.today = today
        self.kinds = {code: label(KINDS, code) for code in KINDS}
        self.modes = {code: label(BOOKING_MODES, code) for code in BOOKING_MODES}
        self.space_url = url_for("finder.space", space_id=0)[:-1]  # ".../raeume/" + id

    def __call__(self, row) -> dict:
        """A space row (from spaces_with_place, maybe with distance_m and free_now) as a GeoJSON Feature."""
        mapping = row._mapping
        properties = {
            "id": row.id,
            "name": row.name,
            "kind": row.kind,
            "kind_label": self.kinds.get(row.kind, row.kind),
            "capacity": row.capacity,
            "area_m2": float(row.area_m2) if row.area_m2 is not None else None,
            "floor": row.floor,
            "step_free": row.step_free,
            "accessible_wc": row.accessible_wc,
            "equipment": list(row.equipment or []),
            "booking_mode": row.booking_mode,
            "booking_mode_label": self.modes.get(row.booking_mode, row.booking_mode),
            "cost_eur": float(row.cost_eur) if row.cost_eur is not None else None,
            "available_from": row.available_from.isoformat() if row.available_from else None,
            "available_until": row.available_until.isoformat() if row.available_until else None,
            "period_label": period(row.available_from, row.available_until, self.today)
            if row.available_from or row.available_until else "",
            "organisation": row.organisation,
            "address": row.address,
            "url": f"{self.space_url}{row.id}",
        }
        if mapping.get("distance_m") is not None:
            properties["distance_m"] = round(mapping["distance_m"])
        if "free_now" in mapping:
            properties["free_now"] = bool(mapping["free_now"])
        return {
            "type": "Feature",
            "id": row.id,
            "geometry": {"type": "Point", "coordinates": [round(row.lon, 6), round(row.lat, 6)]},
            "properties": properties,
        }


def space_feature(row, today: date) -> dict:
    """One space row as a GeoJSON Feature."""
    return FeatureWriter(today)(row)


def answer_words() -> Words:
    """The words of this request's language that answers built in PostGIS say (FeatureWriter's, once per language)."""
    months, from_, until = date_words()
    return Words(kinds={code: label(KINDS, code) for code in KINDS},
                 modes={code: label(BOOKING_MODES, code) for code in BOOKING_MODES},
                 months=list(months), from_=from_, until=until, space_url=url_for("finder.space", space_id=0)[:-1])


@bp.get("/spaces")
def spaces():
    """Spaces matching the filters (bbox, time window, capacity, access, equipment, kind, cost, place) as GeoJSON,
    built in PostGIS (the features FeatureWriter would write)."""
    search = current_search()
    # With a place: how "within `walk` minutes" was measured (on the street network or straight line x 1.3).
    walk_method = search.walk_method if search.near is not None else None
    query = search_geojson(search, now=now_utc(), words=answer_words(), walk_method=walk_method)
    return Response(query.read(db.session).scalar_one(), mimetype="application/json")


@bp.get("/spaces/points")
def points():
    """The spaces of a map view with what a marker shows, as GeoJSON built in PostGIS (the map's view when
    zoomed in; /api/spaces answers every detail)."""
    search = current_search()
    geojson = map_points(search, now=now_utc(), limit=search.limit).read(db.session).scalar_one()
    return Response(geojson, mimetype="application/json")


@bp.get("/spaces/clusters")
def clusters():
    """Every space matching the filters, counted per grid cell of the map at `zoom`: the map's view when
    zoomed out, where a list would be cut. The GeoJSON is built in PostGIS."""
    zoom = ClusterQuery.from_args(request.args).zoom
    search = current_search()
    return Response(map_cache.counts(search, now=now_utc(), zoom=zoom), mimetype="application/json")


@bp.get("/spaces/nearest")
def nearest():
    """The n spaces nearest to lat/lon (default 20), with straight-line distance in metres."""
    query = NearestQuery.from_args(request.args)
    today = today_local()
    rows = db.session.execute(nearest_spaces(query.lon, query.lat, query.n, today=today)).all()
    return jsonify(type="FeatureCollection", features=list(map(FeatureWriter(today), rows)))


def _interval_json(interval: Interval) -> dict:
    return {"start": local_iso(interval.start), "end": local_iso(interval.end)}


def _free_json(interval: Interval) -> dict:
    """A free interval to the minute: a start between minutes (now) is shown at the next full minute."""
    start = interval.start
    if start.second or start.microsecond:
        start = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return {"start": local_iso(min(start, interval.end)), "end": local_iso(interval.end)}


@bp.get("/spaces/<int:space_id>")
def space(space_id: int):
    """One space as a GeoJSON Feature, with opening hours and its next free slot (of at least an hour)."""
    today = today_local()
    row = space_row(space_id)
    feature = space_feature(row, today)
    now = now_utc()
    calendar = space_calendar(db.session, space_id, Interval(now, now + timedelta(days=14)))
    next_free = calendar.next_free()
    feature["properties"]["next_free"] = _free_json(next_free) if next_free else None
    feature["properties"]["bookable"] = calendar.bookable
    hours = db.session.scalars(opening_hours_of(space_id))
    feature["properties"]["opening_hours"] = [
        {"weekday": h.weekday, "opens": h.opens.strftime("%H:%M"), "closes": h.closes.strftime("%H:%M")} for h in hours
    ]
    return jsonify(feature)


@bp.get("/spaces/<int:space_id>/availability")
def availability(space_id: int):
    """Free and busy intervals of a space between `from` and `to` (dates or ISO datetimes; a week by default,
    at most 92 days)."""
    space_row(space_id)  # an unknown space is 404, whatever the parameters
    window = AvailabilityQuery.from_args(request.args).window(today_local())
    calendar = space_calendar(db.session, space_id, window)
    return jsonify(
        space_id=space_id,
        **{"from": local_iso(window.start), "to": local_iso(window.end)},
        free=[_free_json(i) for i in calendar.free],
        busy=[{**_interval_json(b.interval), "title": b.title or "belegt", "kind": b.kind} for b in calendar.busy],
    )


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


@bp.get("/quartiers")
def quartiers():
    """Named Quartiere to search near, with their centre."""
    return jsonify([{"name": n, "lon": v[1], "lat": v[2]} for n, v in quartier_lookup().items()])
