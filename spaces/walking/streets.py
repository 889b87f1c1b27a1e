"""Importing the street network: an OSM extract's walkable ways into walk_vertices / walk_edges."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.streets import StreetFileError, read_ways, split_into_edges
from spaces.core.phrases import phrase
from spaces.walking import network

# every space's nearest edge (deleting the edges above emptied this table through its foreign key)
SPACE_ACCESS = text("""
    INSERT INTO walk_space_access (space_id, edge_id, fraction, access_m, location)
    SELECT s.id, e.id, ST_LineLocatePoint(e.geom, s.location), ST_Distance(e.geom::geography, s.location::geography),
           s.location
    FROM spaces s
    CROSS JOIN LATERAL (SELECT id, geom FROM walk_edges ORDER BY geom::geography <-> s.location::geography LIMIT 1) e
""")


class NoWalkableWays(StreetFileError):
    """The file holds no way a person may walk on."""


def import_streets(session: Session, source: str | Path | bytes) -> dict[str, int]:
    """Replace the whole street network by the walkable ways of an OSM file (path or bytes); no commit.

    Returns the counts {"ways", "edges", "vertices"}. Raises StreetFileError (German message) for a file
    that is not OSM data, NoWalkableWays for one without walkable ways; then nothing has changed.
    """
    ways = read_ways(source)
    if not ways:
        raise NoWalkableWays(phrase("Die Datei enthält keine begehbaren Wege (highway=footway, residential, …). "
                                    "Das Straßennetz bleibt unverändert."))
    edges = split_into_edges(ways)
    vertices = {}
    for edge in edges:
        vertices.setdefault(edge.source, edge.coords[0])
        vertices.setdefault(edge.target, edge.coords[-1])
    session.execute(text("DELETE FROM walk_edges"))
    session.execute(text("DELETE FROM walk_vertices"))
    session.execute(text("CREATE TEMP TABLE walk_edges_import (id bigint, source bigint, target bigint, "
                         "osm_way_id bigint, geom geometry) ON COMMIT DROP"))
    with session.connection().connection.cursor() as cursor:
        with cursor.copy("COPY walk_vertices (id, geom) FROM STDIN") as copy:
            for node, (lon, lat) in vertices.items():
                copy.write_row((node, f"SRID=4326;POINT({lon!r} {lat!r})"))
        with cursor.copy("COPY walk_edges_import (id, source, target, osm_way_id, geom) FROM STDIN") as copy:
            for number, edge in enumerate(edges, start=1):
                line = ",".join(f"{lon!r} {lat!r}" for lon, lat in edge.coords)
                copy.write_row((number, edge.source, edge.target, edge.way_id, f"SRID=4326;LINESTRING({line})"))
    session.execute(text(
        "INSERT INTO walk_edges (id, source, target, length_m, osm_way_id, geom) "
        "SELECT id, source, target, ST_Length(geom::geography), osm_way_id, geom FROM walk_edges_import"))
    session.execute(text("DROP TABLE walk_edges_import"))
    snap_spaces(session)
    session.execute(text("ANALYZE walk_vertices"))
    session.execute(text("ANALYZE walk_edges"))
    session.execute(text("ANALYZE walk_space_access"))
    network.forget_availability()
    return {"ways": len({way.way_id for way in ways}), "edges": len(edges), "vertices": len(vertices)}


def snap_spaces(session: Session) -> None:
    """Store every space's nearest street edge (walk_space_access), as the import does; no commit."""
    session.execute(text("DELETE FROM walk_space_access"))
    session.execute(SPACE_ACCESS)
