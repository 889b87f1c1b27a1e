"""OpenStreetMap data into `RawRow`s: OSM XML (.osm) and PBF (.osm.pbf) read with osmium, Overpass JSON with json.

Only meeting places become rows; an element is one when its tags have
  - amenity = community_centre, social_centre, social_facility, library, events_venue, conference_centre or
    meeting_room,
  - club = anything but "no",
  - social_facility = anything but "no", or
  - room = meeting.
Everything else (streets, benches, the nodes of a building's outline) is passed over without a word.

Nodes take their own location. Ways, closed or not, take their centroid (the area's for a closed ring, the
mean of the nodes otherwise), from the nodes in the same file; a way whose nodes are missing yields a row
without coordinates, which the plan refuses. Relations (multipolygons) are skipped in .osm and .pbf files;
from Overpass they are read when the query asked for `out center`.

Tags onto columns: name -> name; operator -> provider; addr:street + addr:housenumber, addr:postcode
addr:city (or addr:full) -> address; capacity -> capacity; wheelchair -> step_free and toilets:wheelchair ->
accessible_wc (yes/no/limited as they are: the plan decides); hearing_loop -> hearing_loop; level -> floor;
opening_hours -> opening_hours; description -> description. kind is "room" for every element (the amenity, club
or social_facility tag stays in the tags). external_id is "osm:node/123", ref "node/123". All tags of the
element are kept in `RawRow.tags`.

XML stays safe: osmium parses with expat and resolves no external entities; no other XML parser is used here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

from spaces.core.phrases import phrase
from spaces.inventory.rows import COLUMNS, RawRow, ReadError

MEETING_AMENITIES = frozenset(
    {
        "community_centre",
        "social_centre",
        "social_facility",
        "library",
        "events_venue",
        "conference_centre",
        "meeting_room",
    }
)

# The keys that can make an element a meeting place: osmium's key filter lets only these through to Python.
_KEYS = ("amenity", "club", "social_facility", "room")

_SAME_TAG = {
    "name": "name",
    "operator": "provider",
    "capacity": "capacity",
    "wheelchair": "step_free",
    "toilets:wheelchair": "accessible_wc",
    "hearing_loop": "hearing_loop",
    "level": "floor",
    "opening_hours": "opening_hours",
    "description": "description",
}

Point = tuple[float, float]  # (lon, lat)


def is_meeting_place(tags: Mapping[str, str]) -> bool:
    """Whether an element with these tags is a place people meet in (the list in the module docstring)."""
    return (
        tags.get("amenity") in MEETING_AMENITIES
        or tags.get("club", "no") != "no"
        or tags.get("social_facility", "no") != "no"
        or tags.get("room") == "meeting"
    )


def row_from_element(kind: str, osm_id: int, tags: Mapping[str, str], point: Point | None) -> RawRow:
    """The RawRow of one OSM element (`kind` node, way or relation) with its location (lon, lat) or None."""
    values: dict[str, str | None] = {"external_id": f"osm:{kind}/{osm_id}", "kind": "room"}
    for tag, column in _SAME_TAG.items():
        if tags.get(tag, "").strip():
            values[column] = tags[tag].strip()
    address = _address(tags)
    if address:
        values["address"] = address
    if point is not None:
        values["lon"], values["lat"] = _degrees(point[0]), _degrees(point[1])
    ordered = {column: values[column] for column in COLUMNS if column in values}
    return RawRow(ref=f"{kind}/{osm_id}", values=ordered, tags=dict(tags))


def _address(tags: Mapping[str, str]) -> str | None:
    street = " ".join(part for part in (tags.get("addr:street"), tags.get("addr:housenumber")) if part)
    town = " ".join(part for part in (tags.get("addr:postcode"), tags.get("addr:city")) if part)
    if street:
        return f"{street}, {town}" if town else street
    return tags.get("addr:full") or None


def _degrees(value: float) -> str:
    """Degrees as OSM stores them (7 decimals), without trailing zeros: 52.3759, 9.7385."""
    return f"{value:.7f}".rstrip("0").rstrip(".")


def centroid(points: Sequence[Point]) -> Point | None:
    """The centroid of a way: of the area a closed ring encloses, else the mean of its nodes."""
    if not points:
        return None
    ring = list(points[:-1]) if len(points) > 3 and points[0] == points[-1] else list(points)
    mean = (sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))
    if len(ring) < 3 or points[0] != points[-1]:
        return mean
    # shoelace on coordinates relative to the mean, longitude scaled so a degree is as long as one of latitude
    scale = math.cos(math.radians(mean[1]))
    xs = [(p[0] - mean[0]) * scale for p in ring]
    ys = [p[1] - mean[1] for p in ring]
    area = cx = cy = 0.0
    for i in range(len(ring)):
        j = (i + 1) % len(ring)
        cross = xs[i] * ys[j] - xs[j] * ys[i]
        area += cross
        cx += (xs[i] + xs[j]) * cross
        cy += (ys[i] + ys[j]) * cross
    if abs(area) < 1e-18:
        return mean
    return (mean[0] + cx / (3 * area) / scale, mean[1] + cy / (3 * area))


# --- OSM XML and PBF (osmium) ------------------------------------------------------------------------------------


def read_osm_xml(data: bytes) -> list[RawRow]:
    """The meeting places in an OSM XML file (.osm)."""
    return _read_with_osmium(data, "osm", "OSM-XML")


def read_osm_pbf(data: bytes) -> list[RawRow]:
    """The meeting places in an OSM PBF file (.osm.pbf)."""
    return _read_with_osmium(data, "pbf", "OSM-PBF")


def _read_with_osmium(data: bytes, file_format: str, label: str) -> list[RawRow]:
    import osmium  # only an OSM upload pays for the import

    if not data.strip():
        raise ReadError(phrase("Die %(format)s-Datei ist leer.", format=label))
    processor = (
        osmium.FileProcessor(osmium.io.FileBuffer(data, file_format), osmium.osm.NODE | osmium.osm.WAY)
        .with_locations()
        .with_filter(osmium.filter.KeyFilter(*_KEYS))
    )
    rows: list[RawRow] = []
    try:
        for element in processor:
            if element.deleted or not element.visible:
                continue
            tags = {tag.k: tag.v for tag in element.tags}
            if not is_meeting_place(tags):
                continue
            if element.is_node():
                location = element.location
                point = (location.lon, location.lat) if location.valid() else None
                rows.append(row_from_element("node", element.id, tags, point))
            else:
                points = [(n.lon, n.lat) for n in element.nodes if n.location.valid()]
                rows.append(row_from_element("way", element.id, tags, centroid(points)))
    except RuntimeError as error:  # osmium's parse errors (broken XML, not a PBF) are RuntimeErrors
        raise ReadError(
            phrase("Die %(format)s-Datei lässt sich nicht lesen: %(reason)s", format=label, reason=str(error))
        ) from error
    return rows


# --- Overpass JSON -----------------------------------------------------------------------------------------------


def read_overpass(data: bytes | Mapping[str, object]) -> list[RawRow]:
    """The meeting places in an Overpass API answer ([out:json], ways with `out center` or `out geom`)."""
    document = data if isinstance(data, Mapping) else _parse_json(data)
    elements = document.get("elements") if isinstance(document, Mapping) else None
    if not isinstance(elements, list):
        raise ReadError(phrase("Die Overpass-Datei hat keine Liste „elements“."))
    rows: list[RawRow] = []
    for element in elements:
        if not isinstance(element, Mapping) or element.get("type") not in ("node", "way", "relation"):
            continue
        tags = element.get("tags")
        if not isinstance(tags, Mapping) or not isinstance(element.get("id"), int):
            continue
        tags = {str(key): str(value) for key, value in tags.items()}
        if is_meeting_place(tags):
            rows.append(row_from_element(element["type"], element["id"], tags, _overpass_point(element)))
    return rows


def _parse_json(data: bytes) -> object:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ReadError(phrase("Die JSON-Datei lässt sich nicht lesen: kein gültiges JSON.")) from error


def _overpass_point(element: Mapping[str, object]) -> Point | None:
    if element.get("type") == "node":
        return _lon_lat(element)
    center = element.get("center")
    if isinstance(center, Mapping):
        return _lon_lat(center)
    geometry = element.get("geometry")
    if element.get("type") == "way" and isinstance(geometry, list):
        return centroid([point for point in map(_lon_lat, geometry) if point is not None])
    return None


def _lon_lat(place: object) -> Point | None:
    if not isinstance(place, Mapping):
        return None
    lon, lat = place.get("lon"), place.get("lat")
    if isinstance(lon, int | float) and isinstance(lat, int | float) and not isinstance(lon, bool):
        return (float(lon), float(lat))
    return None

