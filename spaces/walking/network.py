"""Walking on the street network: who reaches which space within N minutes, and the isochrone polygons.

The footway graph (walk_edges / walk_vertices, migration 0021, loaded by `flask geo import-streets`) is
walked with pgRouting's pgr_drivingDistance, undirected, cost = metres. No detour factor applies on the
network: the streets already are the detour. The walk from a point to the network (and from the network
to a space) is the straight line to the nearest point of the nearest edge.

Every function here answers None when the network cannot be used, and the caller falls back to the
straight-line rule (geo.walking: straight line x 1.3) and says so (METHOD_STRAIGHT):
- pgRouting is not installed in the database, or no street network has been imported (available() False);
- the point (or phase) lies more than MAX_ACCESS_M from any street of the network (outside the extract).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from flask import has_request_context, request
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.walking import WALKING_SPEED_M_PER_MIN

SPEED_M_PER_MIN = WALKING_SPEED_M_PER_MIN  # 80 m/min; on the network no detour factor
METHOD_NETWORK = "network"  # distances walked on the street network
METHOD_STRAIGHT = "straight_line"  # the fallback: straight line x geo.walking.DETOUR_FACTOR
MAX_ACCESS_M = 500.0  # farther than this from any street: outside the network, fall back
ISOCHRONE_BUFFER_M = 50.0  # the isochrone is the hull of the reached street pieces widened by this much
ISOCHRONE_CONCAVITY = 0.1  # ST_ConcaveHull's param_pctconvex: 0 hugs the points, 1 is the convex hull


_CACHE_KEY = "raumfinder.walking_network_available"
METRES_PER_DEGREE_LAT = 110_574.0  # the smallest, so the box is never too small
METRES_PER_DEGREE_LON_AT_EQUATOR = 111_320.0


def available(session: Session) -> bool:
    """True when pgRouting is installed in this database and a street network is loaded.

    One small query; the answer is kept for the current request only (its WSGI environ), never longer.
    """
    if has_request_context() and _CACHE_KEY in request.environ:
        return bool(request.environ[_CACHE_KEY])
    answer = bool(session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgrouting')"
        " AND EXISTS (SELECT 1 FROM walk_edges)")).scalar())
    if has_request_context():
        request.environ[_CACHE_KEY] = answer
    return answer


def forget_availability() -> None:
    """Drop this request's remembered answer of available() (after the network changed)."""
    if has_request_context():
        request.environ.pop(_CACHE_KEY, None)


def reach(session: Session, lon: float, lat: float, minutes: float) -> dict[int, float] | None:
    """{space_id: walking metres} of every space reachable within `minutes` from the point (WGS84).

    The metres include the walk from the point to the network and from the network to the space.
    None when not available() or when the point is more than MAX_ACCESS_M from the network.
    """
    start = _point_start(session, lon, lat, minutes)
    return None if start is None else _reach(session, start)


def reach_from_phase(session: Session, phase_id: int, minutes: float) -> dict[int, float] | None:
    """{space_id: walking metres} of every space reachable within `minutes` from a construction phase.

    The walk starts anywhere in the phase's polygon: every street crossing it is entered where it crosses,
    a street outside is reached straight from the polygon's edge; spaces inside the polygon have 0.
    None when not available(), the phase does not exist, or it is more than MAX_ACCESS_M from the network.
    """
    start = _phase_start(session, phase_id, minutes)
    return None if start is None else _reach(session, start)


def isochrone(session: Session, lon: float, lat: float, minutes: float) -> dict | None:
    """The area reachable on foot within `minutes` from the point: a GeoJSON geometry (Polygon or
    MultiPolygon, WGS84). None in the same cases as reach()."""
    start = _point_start(session, lon, lat, minutes)
    return None if start is None else _isochrone(session, start)


def phase_isochrone(session: Session, phase_id: int, minutes: float) -> dict | None:
    """The area reachable on foot within `minutes` from a construction phase (the polygon included):
    a GeoJSON geometry (WGS84). None in the same cases as reach_from_phase()."""
    start = _phase_start(session, phase_id, minutes)
    return None if start is None else _isochrone(session, start)


def straight_line_circle(session: Session, lon: float, lat: float, radius_m: float) -> dict:
    """The fallback's area: a circle of `radius_m` metres around the point, as a GeoJSON Polygon (WGS84)."""
    return json.loads(session.execute(text(
        "SELECT ST_AsGeoJSON(ST_Buffer(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography, :r, 'quad_segs=16')"
        "::geometry, 6)"), {"lon": lon, "lat": lat, "r": radius_m}).scalar_one())


# --- how it works -------------------------------------------------------------------------------------------
# pgr_drivingDistance walks from one virtual vertex 0, joined to the real graph by virtual edges that carry the
# walk from the start to the street: for a point, to both ends of its nearest edge (the way along that edge);
# for a phase, to both ends of every edge crossing the polygon (straight from the polygon). Only the edges in a
# box around the start, as large as the walk can reach, are read. A space is reached through the nearest edge to
# it: the cheaper of its two ends plus the way along the edge, plus the straight walk from the edge.

@dataclass(frozen=True)
class _Start:
    origin_ewkt: str  # the point or the phase's polygon
    limit_m: float  # minutes x SPEED_M_PER_MIN
    offset_m: float  # walked before the virtual edges (point to its street)
    virtual: tuple[tuple[int, float], ...]  # (vertex, metres from the start) behind vertex 0
    box: tuple[float, float, float, float]  # west, south, east, north: the only edges read
    edge: tuple[int, float, float] | None = None  # the point's own edge: id, fraction along it, its length

    @property
    def budget_m(self) -> float:
        return max(self.limit_m - self.offset_m, 0.0)

    def edges_sql(self) -> str:
        """The edge query for pgRouting: real edges in the box, and the virtual ones from vertex 0."""
        west, south, east, north = (float(v) for v in self.box)
        sql = ("SELECT id, source, target, length_m AS cost FROM walk_edges "
               f"WHERE geom && ST_MakeEnvelope({west!r}, {south!r}, {east!r}, {north!r}, 4326)")
        rows = ", ".join(f"({-n}::bigint, 0::bigint, {int(v)}::bigint, {float(c)!r}::float8)"
                         for n, (v, c) in enumerate(self.virtual, start=1))
        return f"{sql} UNION ALL VALUES {rows}" if rows else sql

    def params(self) -> dict:
        west, south, east, north = self.box
        edge_id, fraction, _length = self.edge or (None, None, None)
        return {"edges_sql": self.edges_sql(), "budget": self.budget_m, "limit": self.limit_m,
                "offset": self.offset_m, "origin": self.origin_ewkt, "west": west, "south": south, "east": east,
                "north": north, "start_edge": edge_id, "start_fraction": fraction}


def _box(west: float, south: float, east: float, north: float, metres: float) -> tuple[float, float, float, float]:
    """The box grown by `metres` on every side, in degrees (generously: never smaller than the metres)."""
    dlat = metres / METRES_PER_DEGREE_LAT
    dlon = metres / (METRES_PER_DEGREE_LON_AT_EQUATOR * math.cos(math.radians(max(abs(south), abs(north)))))
    return west - dlon, south - dlat, east + dlon, north + dlat


_NEAREST_EDGE = text("""
    SELECT e.id, e.source, e.target, e.length_m,
           ST_LineLocatePoint(e.geom, p.geom) AS fraction,
           ST_Distance(e.geom::geography, p.geom::geography) AS access_m
    FROM (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geom) p
    CROSS JOIN LATERAL (SELECT * FROM walk_edges e ORDER BY e.geom::geography <-> p.geom::geography LIMIT 1) e
""")


def _point_start(session: Session, lon: float, lat: float, minutes: float) -> _Start | None:
    if not available(session):
        return None
    nearest = session.execute(_NEAREST_EDGE, {"lon": lon, "lat": lat}).one_or_none()
    if nearest is None or nearest.access_m > MAX_ACCESS_M:
        return None
    limit = minutes * SPEED_M_PER_MIN
    along = nearest.fraction * nearest.length_m
    return _Start(
        origin_ewkt=f"SRID=4326;POINT({float(lon)!r} {float(lat)!r})", limit_m=limit, offset_m=nearest.access_m,
        virtual=((nearest.source, along), (nearest.target, nearest.length_m - along)),
        box=_box(lon, lat, lon, lat, limit), edge=(nearest.id, nearest.fraction, nearest.length_m))


_PHASE_ENTRIES = text("""
    WITH area AS (SELECT geom FROM construction_phases WHERE id = :phase_id),
    crossing AS (SELECT e.source, e.target FROM walk_edges e, area WHERE ST_Intersects(e.geom, area.geom)),
    nearest AS (
        SELECT e.source, e.target FROM area
        CROSS JOIN LATERAL (SELECT * FROM walk_edges e ORDER BY e.geom::geography <-> area.geom::geography LIMIT 1) e
        WHERE NOT EXISTS (SELECT 1 FROM crossing)
    ),
    ends AS (SELECT source AS id FROM crossing UNION SELECT target FROM crossing
             UNION SELECT source FROM nearest UNION SELECT target FROM nearest)
    SELECT v.id, ST_Distance(v.geom::geography, area.geom::geography) AS metres
    FROM ends JOIN walk_vertices v USING (id), area
""")
_PHASE = text("SELECT ST_AsEWKT(geom) AS ewkt, ST_XMin(geom) AS west, ST_YMin(geom) AS south, "
              "ST_XMax(geom) AS east, ST_YMax(geom) AS north FROM construction_phases WHERE id = :phase_id")


def _phase_start(session: Session, phase_id: int, minutes: float) -> _Start | None:
    if not available(session):
        return None
    phase = session.execute(_PHASE, {"phase_id": phase_id}).one_or_none()
    if phase is None:
        return None
    entries = session.execute(_PHASE_ENTRIES, {"phase_id": phase_id}).all()
    if not entries or min(row.metres for row in entries) > MAX_ACCESS_M:
        return None
    limit = minutes * SPEED_M_PER_MIN
    return _Start(origin_ewkt=phase.ewkt, limit_m=limit, offset_m=0.0,
                  virtual=tuple((row.id, row.metres) for row in entries),
                  box=_box(phase.west, phase.south, phase.east, phase.north, limit))


_REACHED = """
    reached AS (SELECT node, agg_cost FROM pgr_drivingDistance(:edges_sql, 0, :budget, directed => false)
                WHERE node <> 0),
    origin AS (SELECT ST_GeomFromEWKT(:origin) AS geom)
"""

_REACH = text(f"""
    WITH {_REACHED},
    snapped AS MATERIALIZED (  -- each space within the straight-line limit, its nearest street and where on it
        SELECT s.id, ST_Covers(o.geom, s.location) AS inside, e.id AS edge_id, e.source, e.target, e.length_m,
               e.geom, coalesce(a.fraction, k.fraction) AS fraction, coalesce(a.access_m, k.access_m) AS access_m
        FROM origin o
        JOIN spaces s ON ST_DWithin(s.location::geography, o.geom::geography, :limit)
        LEFT JOIN walk_space_access a ON a.space_id = s.id AND a.location ~= s.location  -- from the import
        LEFT JOIN LATERAL (  -- a space added or moved since: looked up now
            SELECT e.id, ST_LineLocatePoint(e.geom, s.location) AS fraction,
                   ST_Distance(e.geom::geography, s.location::geography) AS access_m
            FROM walk_edges e WHERE a.space_id IS NULL
            ORDER BY e.geom::geography <-> s.location::geography LIMIT 1) k ON true
        JOIN walk_edges e ON e.id = coalesce(a.edge_id, k.id)
    ),
    walked AS (
        SELECT sn.id, CASE WHEN sn.inside THEN 0.0 ELSE :offset + sn.access_m + least(
                   rs.agg_cost + sn.fraction * sn.length_m,
                   rt.agg_cost + (1 - sn.fraction) * sn.length_m,
                   CASE WHEN sn.edge_id = :start_edge THEN abs(sn.fraction - :start_fraction) * sn.length_m END,
                   CASE WHEN ST_Intersects(sn.geom, o.geom)  -- an edge through the phase: along it from there
                        THEN ST_Distance(ST_LineInterpolatePoint(sn.geom, sn.fraction)::geography, o.geom::geography)
                   END)
               END AS metres
        FROM snapped sn CROSS JOIN origin o
        LEFT JOIN reached rs ON rs.node = sn.source
        LEFT JOIN reached rt ON rt.node = sn.target
    )
    SELECT id, metres FROM walked WHERE metres <= :limit
""")


def _reach(session: Session, start: _Start) -> dict[int, float]:
    rows = session.execute(_REACH, start.params()).all()
    return {row.id: float(row.metres) for row in rows}


_ISOCHRONE = text(f"""
    WITH {_REACHED},
    near AS (
        SELECT geom, length_m, left_s, left_t, greatest(left_s, left_t, left_s + left_t) >= length_m AS whole
        FROM (SELECT e.geom, greatest(e.length_m, 1e-9) AS length_m,  -- metres left at the source, the target
                     coalesce(:budget - rs.agg_cost, 0) AS left_s, coalesce(:budget - rt.agg_cost, 0) AS left_t
              FROM walk_edges e
              LEFT JOIN reached rs ON rs.node = e.source
              LEFT JOIN reached rt ON rt.node = e.target
              WHERE e.geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)
                AND (rs.node IS NOT NULL OR rt.node IS NOT NULL)) touched
    ),
    pieces AS (  -- whole edges, and the parts of the others walked from either end
        SELECT geom FROM near WHERE whole
        UNION ALL
        SELECT ST_LineSubstring(geom, 0, left_s / length_m) FROM near WHERE NOT whole AND left_s > 0
        UNION ALL
        SELECT ST_LineSubstring(geom, 1 - left_t / length_m, 1) FROM near WHERE NOT whole AND left_t > 0
        UNION ALL  -- a point's own edge, both ways from where the point meets it, and the way onto it
        SELECT ST_LineSubstring(e.geom, greatest(0, :start_fraction - :budget / greatest(e.length_m, 1e-9)),
                                least(1, :start_fraction + :budget / greatest(e.length_m, 1e-9)))
        FROM walk_edges e WHERE e.id = :start_edge
        UNION ALL
        SELECT ST_MakeLine(o.geom, ST_LineInterpolatePoint(e.geom, :start_fraction))
        FROM walk_edges e, origin o WHERE e.id = :start_edge
    ),
    area AS (  -- the concave hull of the reached streets' points (every 25 m), widened
        SELECT ST_Union(
            ST_Buffer(ST_ConcaveHull(ST_Segmentize(ST_Transform(ST_Collect(p.geom), 25832), 25), :concavity),
                      :buffer, 'quad_segs=4'),
            ST_Buffer(ST_Transform(o.geom, 25832), least(:buffer, :limit), 'quad_segs=4')) AS geom
        FROM pieces p, origin o GROUP BY o.geom
    )
    SELECT ST_AsGeoJSON(ST_Transform(ST_SimplifyPreserveTopology(geom, 2), 4326), 6) FROM area
""")


def _isochrone(session: Session, start: _Start) -> dict:
    geojson = session.execute(_ISOCHRONE, {**start.params(), "buffer": ISOCHRONE_BUFFER_M,
                                           "concavity": ISOCHRONE_CONCAVITY}).scalar()
    if geojson is None:  # nothing reached at all: the start alone
        geojson = session.execute(text(
            "SELECT ST_AsGeoJSON(ST_Transform(ST_Buffer(ST_Transform(ST_GeomFromEWKT(:origin), 25832), :r,"
            " 'quad_segs=4'), 4326), 6)"), {"origin": start.origin_ewkt,
                                             "r": min(ISOCHRONE_BUFFER_M, start.limit_m)}).scalar_one()
    return json.loads(geojson)
