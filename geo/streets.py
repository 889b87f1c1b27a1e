"""The footway graph from OpenStreetMap: which ways a person may walk, split into edges where ways meet.

Pure: reads an `.osm` XML or `.pbf` file (or its bytes) with osmium and returns plain tuples; the database
side is spaces/walking/streets.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import osmium

# highway=* values a pedestrian may use (roads without a sidewalk tag are walked on too, as people do)
WALKABLE_HIGHWAYS = frozenset({
    "footway", "path", "pedestrian", "living_street", "residential", "service", "unclassified", "road",
    "tertiary", "tertiary_link", "secondary", "secondary_link", "primary", "primary_link", "track", "steps",
    "cycleway", "bridleway", "corridor", "crossing", "platform", "busway",
})
# never on foot, whatever else the way says
MOTOR_ONLY = frozenset({"motorway", "motorway_link"})
# only with an explicit foot=yes/designated/permissive
TRUNKS = frozenset({"trunk", "trunk_link"})
FOOT_ALLOWED = frozenset({"yes", "designated", "permissive", "official", "destination"})
FOOT_FORBIDDEN = frozenset({"no", "private", "use_sidepath"})
ACCESS_FORBIDDEN = frozenset({"no", "private"})


class StreetFileError(ValueError):
    """The file cannot be read as OpenStreetMap data (the message says why, in German)."""


@dataclass(frozen=True)
class Edge:
    """A piece of a walkable way from one vertex (OSM node) to the next, with its points (lon, lat)."""

    way_id: int
    source: int
    target: int
    coords: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Way:
    """A walkable way's located nodes, in order (ids and (lon, lat))."""

    way_id: int
    node_ids: tuple[int, ...]
    coords: tuple[tuple[float, float], ...]


def is_walkable(tags: Mapping[str, str]) -> bool:
    """Whether a way with these OSM tags may be walked (highway=*, foot=*, access=*)."""
    highway = tags.get("highway")
    foot = tags.get("foot")
    if highway is None or highway in MOTOR_ONLY or (tags.get("area") == "yes" and highway != "pedestrian"):
        return False
    if highway in TRUNKS:
        return foot in FOOT_ALLOWED
    if highway not in WALKABLE_HIGHWAYS:
        return False
    if foot is not None:
        return foot not in FOOT_FORBIDDEN
    return tags.get("access") not in ACCESS_FORBIDDEN


def read_ways(source: str | Path | bytes) -> list[Way]:
    """The walkable ways of an OSM file (path, or the bytes of an .osm XML or .pbf file).

    Nodes missing from the file (a way cut by an extract's border) split the way where they are missing.
    """
    try:
        processor = osmium.FileProcessor(_input(source)).with_locations()
        processor = processor.with_filter(osmium.filter.KeyFilter("highway"))
        ways = []
        for obj in processor:
            if not isinstance(obj, osmium.osm.Way) or not is_walkable(dict(obj.tags)):
                continue
            ways.extend(_located_runs(obj))
        return ways
    except (RuntimeError, ValueError) as err:
        raise StreetFileError(f"Die Datei lässt sich nicht als OpenStreetMap-Daten (.osm, .pbf) lesen: {err}") from err


def _input(source: str | Path | bytes) -> str | osmium.io.FileBuffer:
    if isinstance(source, bytes):
        fmt = "osm" if source.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") else "pbf"
        return osmium.io.FileBuffer(source, fmt)
    path = Path(source)
    if not path.is_file():
        raise StreetFileError(f"Die Datei {path} gibt es nicht.")
    return str(path)


def _located_runs(way: osmium.osm.Way) -> list[Way]:
    runs: list[Way] = []
    ids: list[int] = []
    coords: list[tuple[float, float]] = []
    for node in [*way.nodes, None]:
        if node is not None and node.location.valid():
            ids.append(node.ref)
            coords.append((node.location.lon, node.location.lat))
            continue
        if len(ids) >= 2:
            runs.append(Way(way.id, tuple(ids), tuple(coords)))
        ids, coords = [], []
    return runs


def split_into_edges(ways: Iterable[Way]) -> list[Edge]:
    """The ways cut at every node that ends a way or is shared by two ways (or twice by one): the graph's edges."""
    ways = list(ways)
    uses = Counter(node for way in ways for node in way.node_ids)
    edges = []
    for way in ways:
        start = 0
        for i in range(1, len(way.node_ids)):
            if i == len(way.node_ids) - 1 or uses[way.node_ids[i]] > 1:
                edges.append(Edge(way.way_id, way.node_ids[start], way.node_ids[i], way.coords[start:i + 1]))
                start = i
    return edges
